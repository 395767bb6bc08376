-- Request generators for bench.run, one wrk thread; the scenario comes from the script args:
--   wrk ... -s bench/load.lua http://127.0.0.1:PORT -- KIND LOW HIGH [EXTRA]
-- get / not_modified / ceiling: a random id in [LOW, HIGH]; path: GET EXTRA;
-- post: a new user named "Bench EXTRA <n>"; patch / delete: ids LOW, LOW+1, ... (each once).
-- done() prints one line: RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. status_<code>=..

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local kind, low, high, extra, counter
local json = "application/vnd.api+json"
-- The service wants credentials: the API token bench.run made, sent with every request.
local token = os.getenv("USERS_SERVICE_TOKEN")

local function signed(headers)
  headers = headers or {}
  if token then headers["Authorization"] = "Bearer " .. token end
  return headers
end

function init(args)
  kind, low, high, extra = args[1], tonumber(args[2]), tonumber(args[3]), args[4]
  counter = low
  statuses = {}
  math.randomseed(os.time())
end

function request()
  if kind == "get" then
    return wrk.format("GET", "/api/v1/users/" .. math.random(low, high), signed({["Accept"] = json}))
  elseif kind == "ceiling" then
    return wrk.format("GET", "/users/" .. math.random(low, high))
  elseif kind == "not_modified" then
    local id = math.random(low, high)
    return wrk.format("GET", "/api/v1/users/" .. id,
      signed({["Accept"] = json, ["If-None-Match"] = '"' .. id .. '-1"'}))
  elseif kind == "path" then
    return wrk.format("GET", extra, signed({["Accept"] = json}))
  elseif kind == "post" then
    counter = counter + 1
    local body = string.format(
      '{"data":{"type":"users","attributes":{"name":"Bench %s %d",' ..
      '"address":"%d Load Street, Testville","age":%d,"profession":"Load Tester",' ..
      '"website":"https://bench%d.example"}}}', extra, counter, counter, counter % 90, counter)
    return wrk.format("POST", "/api/v1/users", signed({["Content-Type"] = json}), body)
  elseif kind == "patch" then
    local id = counter
    counter = counter + 1
    local body = '{"data":{"type":"users","id":"' .. id .. '","attributes":{"age":' ..
      (id % 100) .. '}}}'
    return wrk.format("PATCH", "/api/v1/users/" .. id,
      signed({["Content-Type"] = json, ["If-Match"] = '"' .. id .. '-1"'}), body)
  elseif kind == "delete" then
    local id = counter
    counter = counter + 1
    return wrk.format("DELETE", "/api/v1/users/" .. id, signed())
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local line = string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d" ..
    " socket_errors=%d", summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    line = line .. string.format(" status_%d=%d", status, n)
  end
  io.write(line .. "\n")
end

"""CPU per request: the server's and PostgreSQL's, for a few scenarios on an existing database.

    .venv/bin/python -m bench.cost --database-url postgresql://postgres@127.0.0.1:5432/users

Throughput on a shared 2-core machine moves with everything else running; CPU time per
request moves much less. For each scenario this serves the database (`users-service serve`,
or the calibration endpoint for `ceiling`) pinned to core 1, warms it up, drives it with wrk
on core 0 for --duration seconds and prints: requests/s, the server's share of its core, its
CPU time per request, and the CPU time per request of every process of the `postgres` user
(the server's backends, WAL writer, checkpointer). The database must hold users with ids up
to --users (bench.run --keep leaves one; PATCH and DELETE change and remove some of them).
"""

from __future__ import annotations

import argparse
import os
import pwd
import sys
import uuid
from pathlib import Path

from bench.run import BIN, TOKEN_VARIABLE, server, wrk
from tests.support.servers import admin_token, free_port

SCENARIOS = ("ceiling", "get", "page", "offset", "post", "patch")


def _ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _postgres_pids() -> list[int]:
    uid = pwd.getpwnam("postgres").pw_uid
    return [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid
    ]


def measure(url: str, scenario: str, users: int, duration: float) -> str:
    port = free_port()
    if scenario == "ceiling":
        command = [sys.executable, "-m", "bench.ceiling", "--database-url", url]
        ready, args = f"http://127.0.0.1:{port}/users/1", ["ceiling", "1", str(users // 2)]
    else:
        command = [str(BIN / "users-service"), "serve", "--database-url", url]
        ready = f"http://127.0.0.1:{port}/healthz"
        page = "/api/v1/users?sort=name&page[size]=20"
        args = {
            "get": ["get", "1", str(users // 2)],
            "page": ["path", "0", "0", page],
            "offset": ["path", "0", "0", page + "&page[number]=500"],
            "post": ["post", "0", "0", uuid.uuid4().hex[:8]],
            "patch": ["patch", str(users // 2), str(users * 3 // 4)],
        }[scenario]
    log = Path(os.devnull)
    os.environ.setdefault(TOKEN_VARIABLE, admin_token(url))  # wrk sends it (bench/load.lua)
    with server(["taskset", "-c", "1", *command, "--port", str(port)], ready, log) as process:
        # Warmed up by reads: a POST or PATCH warm-up would use the names and versions
        # the measured run is about to.
        warm_up = args if scenario in ("ceiling", "get", "page", "offset") else ["get", "1", "9"]
        wrk("warm-up", port, warm_up, 2, 0)
        tick = os.sysconf("SC_CLK_TCK")
        before_server, before_pg = _ticks([process.pid]), _ticks(_postgres_pids())
        result = wrk(scenario, port, args, duration, 0, frozenset(range(200, 300)))
        server_s = (_ticks([process.pid]) - before_server) / tick
        postgres_s = (_ticks(_postgres_pids()) - before_pg) / tick
    elapsed = result.requests / result.rate
    return (
        f"{scenario:<8} {result.rate:7,.0f} req/s  server {100 * server_s / elapsed:3.0f}% of its"
        f" core, {1e6 * server_s / result.requests:4.0f} us/request;"
        f" PostgreSQL {1e6 * postgres_s / result.requests:5.0f} us/request"
        f"  (non-2xx {result.unexpected})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)} (all)")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    for scenario in args.scenarios or SCENARIOS:
        print(measure(args.database_url, scenario, args.users, args.duration), flush=True)


if __name__ == "__main__":
    main()

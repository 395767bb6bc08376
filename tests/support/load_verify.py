"""Load with verification: many concurrent clients register, read, list, change (If-Match) and
remove users for a while, recording every answer; afterwards everything is read back and
checked against what the service acknowledged (see tests/support/ledger.py).

    .venv/bin/python bench/load_verify.py                      # both backends, 64 clients, 60 s
    .venv/bin/python bench/load_verify.py --backend sqlite --clients 16 --duration 5
    .venv/bin/python bench/load_verify.py --base-url http://127.0.0.1:8000   # a running service

`--backend postgresql` makes a throwaway database on $TEST_POSTGRES_URL (default the local
server) and drops it afterwards; SQLite uses a temporary file. Exits 1 when any check fails:
a 5xx, a lost write, a false 409/412/404, a stale read, a duplicate name or a wrong answer.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.ledger import (
    Attributes,
    Ledger,
    Read,
    Verdict,
    Write,
    check_conflicts,
    check_final_state,
    check_reads,
    check_unique_names,
    name_key,
)
from tests.support.reference import fold

JSONAPI = "application/vnd.api+json"
HEADERS = {"Content-Type": JSONAPI, "Accept": JSONAPI}
COLLECTION = "/api/v1/users"

#: Text that must come back byte for byte: SQL and HTML injection, unicode edge cases.
TRICKY = (
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "100% _under\\score",
    "Zoë Ω ß İstanbul",
    "\u202eRTL override\u200f mark",
    "four-byte 😀𝄞",
    "{{7*7}} ${jndi:x}",
)
#: Names many clients fight over (with case and spacing variants): real 409s.
POPULAR = ("Ada Lovelace", "Grace Hopper", "Straße Popular", "Alan Turing", "Zoë Ω")
PROFESSIONS = ("engineer", "mathematician", "poet", "<b>bold</b>", "'; --", "Ω-tech")


#: Names may not hold invisible or text-direction characters (docs/reliability.md): those
#: texts go to the other attributes only.
TRICKY_NAMES = tuple(text for text in TRICKY if "\u202e" not in text and "\u200f" not in text)
PROFESSIONS = ("engineer", "mathematician", "poet", "<b>bold</b>", "'; --", "Ω-tech")


def _variant(rng: random.Random, name: str) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return name.lower()
    if choice == 2:
        return f"  {name} "
    return name.replace("ß", "SS")


def make_name(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return _variant(rng, rng.choice(POPULAR))
    return f"{rng.choice(TRICKY_NAMES)} #{rng.randrange(10**12)}"


def make_attributes(rng: random.Random, subset: bool = False) -> Attributes:
    values: Attributes = {
        "name": make_name(rng),
        "address": f"{rng.randrange(1, 999)} {rng.choice(TRICKY)}\nLine two",
        "age": rng.randrange(0, 151),
        "profession": rng.choice(PROFESSIONS),
        "website": f"https://u{rng.randrange(10**6)}.example/p?q=%27%20OR%201=1",
    }
    if not subset:
        return values
    chosen = rng.sample(sorted(values), rng.randrange(1, 4))
    return {key: values[key] for key in chosen}


def stored(attributes: Attributes) -> Attributes:
    """What the service stores for sent attributes: strings trimmed, CRLF as LF."""
    return {
        key: value.replace("\r\n", "\n").strip() if isinstance(value, str) else value
        for key, value in attributes.items()
    }


def etag_version(etag: str | None) -> int | None:
    if not etag:
        return None
    return int(etag.strip('"').rsplit("-", 1)[1])


@dataclass
class World:
    """What the clients share: the users they know of, at the version last seen."""

    ledger: Ledger = field(default_factory=Ledger)
    known: dict[int, int] = field(default_factory=dict)
    created: list[int] = field(default_factory=list)
    operations: int = 0
    #: Statuses not counted as wrong answers (a fault test expects 503s during an outage).
    #: None: a request may get no answer (a fault test that kills a worker).
    tolerated: set[int | None] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)

    def pick(self, rng: random.Random, live: bool = True) -> tuple[int, int] | None:
        if live and self.known:
            user_id = rng.choice(list(self.known))
            return user_id, self.known[user_id]
        if self.created:
            user_id = rng.choice(self.created)
            return user_id, self.known.get(user_id, 1)
        return None


class Client:
    def __init__(self, http: httpx.AsyncClient, world: World, rng: random.Random) -> None:
        self.http = http
        self.world = world
        self.ledger = world.ledger
        self.rng = rng

    async def call(self, method: str, url: str, **options: Any) -> httpx.Response | None:
        self.world.operations += 1
        started = time.monotonic()
        try:
            return await self.http.request(method, url, **options)
        except httpx.HTTPError as error:
            if None not in self.world.tolerated:
                self.ledger.problem(f"{method} {url}: no answer ({type(error).__name__})")
            return None
        finally:
            self.world.latencies.append(time.monotonic() - started)

    def _expect(self, operation: str, response: httpx.Response | None, allowed: set[int]) -> None:
        status = None if response is None else response.status_code
        self.ledger.count(operation, status)
        if response is None:
            return
        if status not in allowed | self.world.tolerated:
            self.ledger.problem(f"{operation}: unexpected {status} {response.text[:300]}")
        is_document = response.headers.get("content-type") == JSONAPI
        if status >= 400 and not (is_document and "errors" in response.json()):
            self.ledger.problem(f"{operation}: {status} without an error document")

    def _acked(self, write: Write, response: httpx.Response, sent: Attributes) -> None:
        document = response.json()["data"]
        write.user_id = int(document["id"])
        write.version = etag_version(response.headers.get("etag"))
        write.attributes = document["attributes"]
        expected = stored(sent)
        got = {key: write.attributes[key] for key in expected}
        if got != expected:
            self.ledger.problem(f"{write.kind} {write.user_id}: sent {expected}, stored {got}")
        if write.version is not None:
            self.world.known[write.user_id] = write.version

    async def register(self) -> None:
        sent = make_attributes(self.rng)
        document = {"data": {"type": "users", "attributes": sent}}
        start = time.monotonic()
        response = await self.call("POST", COLLECTION, json=document, headers=HEADERS)
        write = Write("create", None, start, time.monotonic(), _status(response), sent["name"])
        self.ledger.writes.append(write)
        self._expect("register", response, {201, 409})
        if response is not None and response.status_code == 201:
            self._acked(write, response, sent)
            assert write.user_id is not None
            self.world.created.append(write.user_id)

    async def change(self) -> None:
        picked = self.world.pick(self.rng)
        if picked is None:
            return await self.register()
        user_id, version = picked
        sent = make_attributes(self.rng, subset=True)
        document = {"data": {"type": "users", "id": str(user_id), "attributes": sent}}
        start = time.monotonic()
        headers = {**HEADERS, "If-Match": f'"{user_id}-{version}"'}
        response = await self.call(
            "PATCH", f"{COLLECTION}/{user_id}", json=document, headers=headers
        )
        status = _status(response)
        write = Write("change", user_id, start, time.monotonic(), status, sent.get("name"))
        write.if_match = version
        self.ledger.writes.append(write)
        self._expect("change", response, {200, 404, 409, 412})
        if response is not None and status == 200:
            self._acked(write, response, sent)
        elif status == 404:
            self.world.known.pop(user_id, None)

    async def remove(self) -> None:
        picked = self.world.pick(self.rng, live=self.rng.random() < 0.9)
        if picked is None:
            return
        user_id, version = picked
        conditional = self.rng.random() < 0.5
        headers = {"If-Match": f'"{user_id}-{version}"'} if conditional else {}
        start = time.monotonic()
        response = await self.call("DELETE", f"{COLLECTION}/{user_id}", headers=headers)
        status = _status(response)
        write = Write("remove", user_id, start, time.monotonic(), status)
        write.if_match = version if conditional else None
        self.ledger.writes.append(write)
        self._expect("remove", response, {204, 404, 412})
        if status in (204, 404):
            self.world.known.pop(user_id, None)

    async def get(self) -> None:
        picked = self.world.pick(self.rng, live=self.rng.random() < 0.8)
        if picked is None:
            return
        user_id = picked[0]
        start = time.monotonic()
        response = await self.call("GET", f"{COLLECTION}/{user_id}", headers=HEADERS)
        self._expect("get", response, {200, 404})
        if response is None or response.status_code not in (200, 404):
            return
        version = etag_version(response.headers.get("etag"))
        self.ledger.reads.append(
            Read(user_id, start, time.monotonic(), response.status_code, version)
        )
        if version is not None and user_id in self.world.known:
            self.world.known[user_id] = max(self.world.known[user_id], version)

    async def list(self) -> None:
        params, check = list_query(self.rng)
        response = await self.call("GET", COLLECTION, params=params, headers=HEADERS)
        self._expect("list", response, {200})
        pages = 0
        while response is not None and response.status_code == 200 and pages < 3:
            document = response.json()
            for problem in check(document["data"]):
                self.ledger.problem(f"list {params}: {problem}")
            following = document["links"].get("next")
            pages += 1
            if not following or "page[number]" in params or self.rng.random() < 0.5:
                return
            response = await self.call("GET", following, headers=HEADERS)
            self._expect("list", response, {200})

    async def run(self, deadline: float) -> None:
        operations: list[Callable[[], Any]] = [
            self.register,
            self.get,
            self.list,
            self.change,
            self.remove,
        ]
        weights = [25, 20, 20, 25, 10]
        while time.monotonic() < deadline:
            await self.rng.choices(operations, weights)[0]()


def _status(response: httpx.Response | None) -> int | None:
    return None if response is None else response.status_code


SORTS = ("id", "-id", "name", "-age,name", "age,-name", "profession,-id", "-website", "address")


def _sort_value(resource: dict[str, Any], field_name: str) -> Any:
    if field_name == "id":
        return int(resource["id"])
    value = resource["attributes"][field_name]
    return fold(value) if isinstance(value, str) else value


def list_query(rng: random.Random) -> tuple[dict[str, str], Callable[[list[Any]], list[str]]]:
    """Random list parameters, and a check of the page they return (order and filters)."""
    params: dict[str, str] = {"page[size]": str(rng.choice((1, 5, 20, 100)))}
    sort = rng.choice(SORTS)
    params["sort"] = sort
    if rng.random() < 0.4:
        params["page[number]"] = str(rng.randrange(1, 4))
    low, high = sorted((rng.randrange(0, 151), rng.randrange(0, 151)))
    filters: list[Callable[[dict[str, Any]], bool]] = []
    if rng.random() < 0.3:
        params["filter[age][gte]"], params["filter[age][lte]"] = str(low), str(high)
        filters.append(lambda r: low <= r["attributes"]["age"] <= high)
    if rng.random() < 0.2:
        term = rng.choice(("drop", "<script", "'", "Ω", "%", "_", "ß"))
        params["filter[search]"] = term
        folded = term.casefold()
        filters.append(
            lambda r: any(
                folded in str(r["attributes"][a]).casefold()
                for a in ("name", "address", "profession", "website")
            )
        )
    if rng.random() < 0.1:
        name = rng.choice(POPULAR)
        params["filter[name]"] = name.upper()
        filters.append(lambda r: name_key(r["attributes"]["name"]) == name.casefold())
    keys = [(k.lstrip("-"), k.startswith("-")) for k in sort.split(",")]

    def check(data: list[dict[str, Any]]) -> list[str]:
        problems = [
            f"user {r['id']} does not match the filter"
            for r in data
            if not all(f(r) for f in filters)
        ]
        for before, after in itertools.pairwise(data):
            if not _in_order(before, after, keys):
                problems.append(f"users {before['id']} and {after['id']} out of order for {sort}")
        return problems

    return params, check


def _in_order(a: dict[str, Any], b: dict[str, Any], keys: list[tuple[str, bool]]) -> bool:
    for field_name, descending in [*keys, ("id", keys[-1][1])]:
        left, right = _sort_value(a, field_name), _sort_value(b, field_name)
        if left != right:
            return (left > right) if descending else (left < right)
    return False  # the same user twice


async def read_back(
    http: httpx.AsyncClient, ids: list[int]
) -> dict[int, tuple[int, Attributes] | None]:
    """Every user ever created, read one by one after the load."""
    final: dict[int, tuple[int, Attributes] | None] = {}
    gate = asyncio.Semaphore(16)

    async def one(user_id: int) -> None:
        async with gate:
            response = await http.get(f"{COLLECTION}/{user_id}", headers=HEADERS)
        if response.status_code == 404:
            final[user_id] = None
        else:
            response.raise_for_status()
            version = etag_version(response.headers["etag"])
            assert version is not None
            final[user_id] = (version, response.json()["data"]["attributes"])

    await asyncio.gather(*(one(user_id) for user_id in ids))
    return final


async def list_everything(http: httpx.AsyncClient) -> tuple[list[dict[str, Any]], int]:
    """The whole collection by cursor pages of 100, and the total the service reports."""
    listed: list[dict[str, Any]] = []
    url: str | None = f"{COLLECTION}?page[size]=100&sort=id"
    total, pages = -1, 0
    while url is not None:
        response = await http.get(url, headers=HEADERS)
        response.raise_for_status()
        document = response.json()
        listed.extend(document["data"])
        total = document["meta"]["total"]
        url = document["links"]["next"]
        pages += 1
        # Bounded by the reported total plus a margin: a cursor that never ends fails here.
        if pages > total // 100 + 3:
            raise AssertionError(f"{pages} pages of 100 for {total} users: the cursor loops")
    return listed, total


def verify(world: World, final: dict[int, tuple[int, Attributes] | None]) -> Verdict:
    verdict = Verdict()
    ledger = world.ledger
    conflicts = [w for w in ledger.writes if w.status in (404, 409, 412)]
    check_conflicts(ledger, verdict, conflicts)
    check_reads(ledger, verdict)
    check_final_state(ledger, verdict, final)
    return verdict


def http_client(base_url: str, clients: int, token: str) -> httpx.AsyncClient:
    """Connections for `clients`, each request sending the API token."""
    limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
    return httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=httpx.Timeout(30.0),
        headers={"Authorization": f"Bearer {token}"},
    )


async def load(
    http: httpx.AsyncClient, world: World, clients: int, duration: float, seed: int
) -> float:
    """`clients` concurrent clients for `duration` seconds; returns the seconds it took."""
    started = time.monotonic()
    deadline = started + duration
    workers = [Client(http, world, random.Random(seed * 1000 + n)) for n in range(clients)]
    await asyncio.gather(*(worker.run(deadline) for worker in workers))
    return time.monotonic() - started


async def check_after(http: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """Reads everything back and checks it against the ledger: the report's figures."""
    final = await read_back(http, sorted(set(world.created)))
    listed, total = await list_everything(http)
    verdict = verify(world, final)
    check_unique_names(verdict, listed)
    live = {user_id for user_id, state in final.items() if state is not None}
    listed_ids = {int(resource["id"]) for resource in listed}
    if not live <= listed_ids:
        verdict.lost_writes.append(f"{len(live - listed_ids)} live users missing from the list")
    if total != len(listed):
        world.ledger.problem(f"meta.total {total} but {len(listed)} users listed")
    statuses = world.ledger.statuses
    server_errors = sum(count for key, count in statuses.items() if key.split()[1][0] == "5")
    no_answer = sum(count for key, count in statuses.items() if key.endswith("no-answer"))
    latencies = sorted(world.latencies) or [0.0]
    return {
        "operations": world.operations,
        "latency_ms": {
            "p50": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
            "max": round(latencies[-1] * 1000, 1),
        },
        "acknowledged_writes": sum(1 for w in world.ledger.writes if w.acknowledged),
        "users_created": len(world.created),
        "users_at_end": len(listed),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": server_errors,
        "no_answer": no_answer,
        "wrong_answers": world.ledger.problems[:20],
        "wrong_answer_count": len(world.ledger.problems),
        **verdict.summary(),
        "ok": verdict.ok and server_errors == 0 and no_answer == 0 and not world.ledger.problems,
    }


async def run_load(
    base_url: str, clients: int, duration: float, seed: int, token: str
) -> dict[str, Any]:
    """Runs the load against `base_url` with an editor's or admin's API token, then reads
    back and checks. Returns the report."""
    world = World()
    async with http_client(base_url, clients, token) as http:
        elapsed = await load(http, world, clients, duration, seed)
        report = await check_after(http, world)
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "operations_per_s": round(world.operations / elapsed, 1),
        **report,
    }


def run_against_backend(
    backend: str, clients: int, duration: float, seed: int, workers: int | None = None
) -> dict[str, Any]:
    """Starts `users-service serve` on a throwaway database of `backend`, loads and checks it."""
    from tests.support.servers import serving, throwaway_database

    workers = workers or (2 if backend == "postgresql" else 1)
    with tempfile.TemporaryDirectory(prefix="users-load-") as folder:
        if backend == "sqlite":
            urls = _nullcontext(f"sqlite:///{folder}/users.db")
        elif backend == "mariadb":
            from tests.support.mariadb import DEFAULT_SERVER, throwaway_url

            urls = throwaway_url(DEFAULT_SERVER)
        else:
            urls = throwaway_database(prefix="users_load")
        with (
            urls as database_url,
            serving(database_url, workers=workers, log_dir=Path(folder)) as s,
        ):
            report = asyncio.run(run_load(s.base, clients, duration, seed, s.token))
            tail = [line for line in s.log().splitlines() if "ERROR" in line][:5]
    return {"backend": backend, "workers": workers, **report, "server_log_errors": tail}


class _nullcontext:
    def __init__(self, value: str) -> None:
        self.value = value

    def __enter__(self) -> str:
        return self.value

    def __exit__(self, *args: object) -> None:
        return None


def _errors_by_status(statuses: dict[str, int]) -> dict[str, int]:
    """`operation status` counts for the answers that were not a success."""
    return {
        key: count
        for key, count in statuses.items()
        if key.endswith("no-answer") or int(key.split()[1]) >= 400
    }

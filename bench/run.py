"""The benchmark: seeds a throwaway database, serves it with one worker and drives it with wrk.

    .venv/bin/python -m bench.run [--users N] [--sqlite-users N] [--duration S]
                                  [--backend postgresql|sqlite|mariadb|both]
                                  [--database-url URL] [--mariadb-url URL]
                                  [--keep] [--no-pin]

For each backend: creates a database (PostgreSQL: a new database on the server named by
--database-url, dropped afterwards unless --keep; SQLite: a temporary file), migrates it with
`users-service migrate`, seeds it (bench.seed), measures the calibration server (bench.ceiling)
and then `users-service serve` (one worker, a free port on 127.0.0.1), one wrk run per scenario
(1 thread, 32 connections; the filtered lists with 8). With two or more cores the server is
pinned to core 1 and wrk to core 0 (PostgreSQL is left to the scheduler). Prints one line
per scenario and writes the tables to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2

from bench import mariadb as bench_mariadb
from bench.data import EVERY_USER_TERM, FILTER_PROFESSION, ONE_IN_EIGHT_TERM, RARE_TERM
from bench.seed import seed
from tests.support.servers import admin_token, free_port

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
LOAD_SCRIPT = BENCH / "load.lua"
RESULTS = BENCH / "results"
CONNECTIONS = 32
#: Clients at once in the filtered-list scenarios (issue 19's targets: p50 < 50 ms, p99 < 200).
FILTER_CLIENTS = 8
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
AGE_MIN = 60
JSONAPI = "application/vnd.api+json"


# -- processes ----------------------------------------------------------------------------


def pinned(command: list[str], core: int | None) -> list[str]:
    if core is None:
        return command
    return ["taskset", "-c", str(core), *command]


def wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


@contextmanager
def server(command: list[str], ready_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink, cwd=ROOT)
    try:
        wait_ready(ready_url)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            for child in children:
                pids.extend(_tree(int(child)))
    except OSError:
        pass
    return pids


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Polls VmRSS of a process tree; `peak_mb()` is the largest sum seen since reset()."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._peak = max(self._peak, sum(_status_kb(p, "VmRSS") for p in _tree(self._pid)))

    def reset(self) -> None:
        self._peak = sum(_status_kb(p, "VmRSS") for p in _tree(self._pid))

    def peak_mb(self) -> float:
        return self._peak / 1024

    def high_water_mb(self) -> float:
        return sum(_status_kb(p, "VmHWM") for p in _tree(self._pid)) / 1024

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- load -----------------------------------------------------------------------------------


class Result:
    def __init__(self, name: str, line: str, expected: frozenset[int]) -> None:
        self.name = name
        values = dict(re.findall(r"(\w+)=(\d+)", line))
        self.requests = int(values["requests"])
        self.rate = self.requests / (int(values["duration_us"]) / 1e6)
        self.p50_ms = int(values["p50_us"]) / 1000
        self.p99_ms = int(values["p99_us"]) / 1000
        self.statuses = {
            int(key[7:]): int(value) for key, value in values.items() if key.startswith("status_")
        }
        self.unexpected = sum(
            n for status, n in self.statuses.items() if status not in expected
        ) + int(values["socket_errors"])
        self.rss_mb = 0.0
        self.ratio: float | None = None
        self.ceiling_rate: float | None = None


def wrk(
    name: str,
    port: int,
    args: list[str],
    duration: float,
    core: int | None,
    expected: frozenset[int] = frozenset(range(200, 300)),
    connections: int = CONNECTIONS,
) -> Result:
    command = pinned(
        [
            "wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
            "-s", str(LOAD_SCRIPT), f"http://127.0.0.1:{port}", "--", *args,
        ],
        core,
    )  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True)
    output = finished.stdout
    if finished.returncode:
        raise SystemExit(f"wrk failed ({finished.returncode}): {finished.stderr}{output}")
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"wrk printed no result:\n{output}")
    return Result(name, lines[-1], expected)


#: Where the API token the runs send is handed to wrk (bench/load.lua) and to api().
TOKEN_VARIABLE = "USERS_SERVICE_TOKEN"


def api(port: int, path: str) -> dict[str, Any]:
    headers = {"Accept": JSONAPI, "Authorization": f"Bearer {os.environ[TOKEN_VARIABLE]}"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        document: dict[str, Any] = json.load(response)
        return document


# -- databases ------------------------------------------------------------------------------


class Database:
    """A throwaway database and direct SQL on it (planning and checks, never the measured path)."""

    def __init__(self, url: str, query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]):
        self.url = url
        self.query = query


@contextmanager
def postgresql_database(server_url: str, keep: bool) -> Iterator[Database]:
    admin = psycopg2.connect(server_url.replace("postgresql+psycopg2://", "postgresql://"))
    admin.autocommit = True
    name = f"users_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(server_url)
    url = urllib.parse.urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))
    connection: Any = None

    def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        nonlocal connection
        if connection is None:
            connection = psycopg2.connect(url)
            connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    try:
        yield Database(url, query)
    finally:
        if connection is not None:
            connection.close()
        if keep:
            print(f"kept the database: {url}")
        else:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def sqlite_database(keep: bool) -> Iterator[Database]:
    import sqlite3

    folder = Path(tempfile.mkdtemp(prefix="users_bench_"))
    path = folder / "users.db"

    def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()

    try:
        yield Database(f"sqlite:///{path}", query)
    finally:
        if keep:
            print(f"kept the database: sqlite:///{path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# -- the run --------------------------------------------------------------------------------


def deep_cursor(db: Database, port: int, depth: int) -> tuple[str, int]:
    """A `page[after]` cursor from a real links.next, placed after the row at `depth`.

    Cursors carry the sort key only, so a filtered list ending exactly on that row hands out
    the same cursor as the unfiltered list would: the row's (age, profession) group is
    small, and a page of it sized to end on the row has the wanted links.next.
    """
    candidates = db.query(
        "SELECT id, age, profession, name_key FROM users ORDER BY name_key, id LIMIT 200 OFFSET %s",
        (depth - 1,),
    )
    for offset, (row_id, age, profession, name_key) in enumerate(candidates, depth - 1):
        ((position, size),) = db.query(
            "SELECT sum(CASE WHEN name_key < %s OR (name_key = %s AND id <= %s) THEN 1 ELSE 0 "
            "END), count(*) FROM users WHERE age = %s AND profession = %s",
            (name_key, name_key, row_id, age, profession),
        )
        if position <= 100 and size > position:
            query = urllib.parse.urlencode(
                {
                    "filter[age]": age,
                    "filter[profession]": profession,
                    "sort": "name",
                    "page[size]": position,
                }
            )
            document = api(port, f"/api/v1/users?{query}")
            assert document["data"][-1]["id"] == str(row_id), "the page must end on the row"
            after = urllib.parse.parse_qs(urllib.parse.urlsplit(document["links"]["next"]).query)
            return after["page[after]"][0], offset + 1
    raise SystemExit("found no row near the wanted depth to take a cursor from")


def scenarios(
    db: Database, port: int, users: int, run_id: str
) -> list[tuple[str, list[str], frozenset[int]]]:
    ok = frozenset(range(200, 300))
    reads = str(users // 2)
    depth = users * 9 // 10
    cursor, row = deep_cursor(db, port, depth)
    deep = api(port, f"/api/v1/users?sort=name&page[size]=20&page[after]={cursor}")
    (expected_first,) = db.query(
        "SELECT id FROM users ORDER BY name_key, id LIMIT 1 OFFSET %s", (row,)
    )[0]
    assert deep["data"][0]["id"] == str(expected_first), "the deep page starts after the row"
    last_page = -(-users // 20)  # numbered pages near the end are read from the end
    return [
        ("GET /users/{random id}", ["get", "1", reads], ok),
        ("GET If-None-Match -> 304", ["not_modified", "1", reads], ok | {304}),
        ("list page 1, sort=name, total", ["path", "0", "0", "/api/v1/users?sort=name&page[size]=20"], ok),  # noqa: E501
        (f"cursor page after row {row:,}", ["path", "0", "0", f"/api/v1/users?sort=name&page[size]=20&page[after]={cursor}"], ok),  # noqa: E501
        ("offset page[number]=500 (20/page, the window's deepest)", ["path", "0", "0", "/api/v1/users?sort=name&page[number]=500&page[size]=20"], ok),  # noqa: E501
        (f"last page, page[number]={last_page} (read backwards)", ["path", "0", "0", f"/api/v1/users?sort=name&page[number]={last_page}&page[size]=20"], ok),  # noqa: E501
        (f"filter[search]={RARE_TERM} (rare)", ["path", "0", "0", f"/api/v1/users?filter[search]={RARE_TERM}"], ok),  # noqa: E501
        (f"filter[age][gte]={AGE_MIN}, sort=-age", ["path", "0", "0", f"/api/v1/users?filter[age][gte]={AGE_MIN}&sort=-age"], ok),  # noqa: E501
        ("POST /users", ["post", "0", "0", run_id], ok),
        ("PATCH age, If-Match", ["patch", reads, str(users * 3 // 4 - 1)], ok),
        ("DELETE /users/{id}", ["delete", str(users * 3 // 4), str(users)], ok),
    ]  # fmt: skip


def filtered_scenarios() -> list[tuple[str, str]]:
    """Filtered lists whatever share of the users they match, each as page 1 (a cursor page)
    and as a numbered page; each carries its count."""
    filters = [
        (f"filter[search]={EVERY_USER_TERM} (every user)", f"filter[search]={EVERY_USER_TERM}"),
        (f"filter[search]={ONE_IN_EIGHT_TERM} (1 in 8)", f"filter[search]={ONE_IN_EIGHT_TERM}"),
        (f"filter[search]={RARE_TERM} (rare)", f"filter[search]={RARE_TERM}"),
        ("filter[age][gte]=18", "filter[age][gte]=18"),
        (f"filter[profession]={FILTER_PROFESSION}", f"filter[profession]={FILTER_PROFESSION}"),
    ]
    return [
        (f"{name}{label}", f"/api/v1/users?{query}{extra}")
        for name, query in filters
        for label, extra in (("", ""), (", page[number]=3", "&page[number]=3"))
    ]


def check_consistency(db: Database, port: int, rare: int) -> None:
    """meta.total and the filters must agree with the table (and with what was generated)."""
    (count,) = db.query("SELECT count(*) FROM users")[0]
    total = api(port, "/api/v1/users?page[size]=1")["meta"]["total"]
    assert total == count, f"meta.total {total} != count(*) {count}"
    found = api(port, f"/api/v1/users?filter[search]={RARE_TERM}")["meta"]["total"]
    assert found == rare, f"filter[search] finds {found}, {rare} were seeded"
    (older,) = db.query("SELECT count(*) FROM users WHERE age >= %s", (AGE_MIN,))[0]
    meta = api(port, f"/api/v1/users?filter[age][gte]={AGE_MIN}&page[size]=1")["meta"]
    if "total" in meta:  # below the bound a filtered count is exact
        assert meta["total"] == older, f"filter[age][gte] finds {meta['total']}, not {older}"
    else:
        assert meta["totalAtLeast"] <= older, f"filter[age][gte]: {meta} for {older}"


def run_backend(
    backend: str, db: Database, users: int, args: argparse.Namespace, log: Path
) -> tuple[list[Result], list[Result], float]:
    cores = os.cpu_count() or 1
    server_core, load_core = (1, 0) if cores >= 2 and not args.no_pin else (None, None)
    subprocess.run(
        [str(BIN / "users-service"), "migrate", "--database-url", db.url],
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    counts = seed(db.url, users)
    print(f"{backend}: seeded {users:,} users in {time.perf_counter() - started:.1f} s", flush=True)
    # Every scenario runs with an admin's API token (the service has no anonymous access).
    os.environ[TOKEN_VARIABLE] = admin_token(db.url)

    # Both servers run side by side (the idle one costs nothing) and the calibration is
    # measured right before each scenario: each ratio compares two runs seconds apart, so
    # other load on the machine drifting during the run moves both alike.
    ceiling_port, port = free_port(), free_port()
    ceiling_command = [sys.executable, "-m", "bench.ceiling", "--database-url", db.url]
    ceiling_command += ["--port", str(ceiling_port)]
    serve = [str(BIN / "users-service"), "serve", "--database-url", db.url, "--port", str(port)]
    ceiling_ready = f"http://127.0.0.1:{ceiling_port}/users/1"
    ceiling_args = ["ceiling", "1", str(users // 2)]
    results: list[Result] = []
    ceilings: list[Result] = []
    filtered: list[Result] = []
    with (
        server(pinned(ceiling_command, server_core), ceiling_ready, log),
        server(pinned(serve, server_core), f"http://127.0.0.1:{port}/healthz", log) as process,
    ):
        sampler = RssSampler(process.pid)
        check_consistency(db, port, counts.rare)
        wrk("warm-up", ceiling_port, ceiling_args, 2, load_core)
        wrk("warm-up", port, ["get", "1", str(users)], 2, load_core)
        run_id = uuid.uuid4().hex[:8]
        for name, wrk_args, expected in scenarios(db, port, users, run_id):
            ceiling = wrk("ceiling", ceiling_port, ceiling_args, args.duration, load_core)
            ceilings.append(ceiling)
            sampler.reset()
            result = wrk(name, port, wrk_args, args.duration, load_core, expected)
            result.rss_mb = sampler.peak_mb()
            result.ratio = result.rate / ceiling.rate
            result.ceiling_rate = ceiling.rate
            results.append(result)
            print(f"{backend}: {line(result)}", flush=True)
        for name, path in filtered_scenarios():
            sampler.reset()
            result = wrk(
                name, port, ["path", "0", "0", path], args.duration, load_core,
                connections=FILTER_CLIENTS,
            )  # fmt: skip
            result.rss_mb = sampler.peak_mb()
            filtered.append(result)
            print(f"{backend}: {line(result)}", flush=True)
        high_water = sampler.high_water_mb()
        sampler.stop()
    ceilings.sort(key=lambda r: r.rate)
    median = ceilings[len(ceilings) // 2]
    median.name = f"ceiling (median of {len(ceilings)} runs, one before each scenario)"
    return [median, *results], filtered, high_water


def line(result: Result) -> str:
    ratio = (
        ""
        if result.ratio is None or result.ceiling_rate is None
        else f"  {result.ratio:4.2f} x ceiling ({result.ceiling_rate:,.0f}/s)"
    )
    return (
        f"{result.name:<38} {result.rate:8,.0f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  non-2xx {result.unexpected:>5}"
        f"  rss {result.rss_mb:5.1f} MB{ratio}"
    )


def machine() -> str:
    model = "unknown CPU"
    for text in Path("/proc/cpuinfo").read_text().splitlines():
        if text.startswith("model name"):
            model = text.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def table(backend: str, users: int, results: list[Result], high_water: float) -> str:
    rows = [
        f"**{backend}, {users:,} users** - server peak RSS (VmHWM) {high_water:.0f} MB",
        "",
        "| scenario | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB | ceiling before, req/s "
        "| / ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = "1.00" if r.ratio is None else f"{r.ratio:.2f}"
        rss = "-" if r.ratio is None else f"{r.rss_mb:.0f}"
        before = "-" if r.ceiling_rate is None else f"{r.ceiling_rate:,.0f}"
        name = r.name.replace("|", "\\|")
        rows.append(
            f"| {name} | {r.rate:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.unexpected} "
            f"| {rss} | {before} | {ratio} |"
        )

    def named(prefix: str) -> Result | None:
        return next((r for r in results if r.name.startswith(prefix)), None)

    page1, cursor, offset = named("list page 1"), named("cursor page"), named("offset")
    if page1 and cursor and offset and page1.ratio and cursor.ratio and offset.ratio:
        rows += [
            "",
            f"Against page 1, each through its own calibration run: the deep cursor page "
            f"{cursor.ratio / page1.ratio:.2f}, the offset page {offset.ratio / page1.ratio:.2f}.",
        ]
    return "\n".join(rows)


def filtered_table(backend: str, results: list[Result]) -> str:
    rows = [
        f"**{backend}, filtered lists, {FILTER_CLIENTS} clients at once** "
        "(targets: p50 under 50 ms, p99 under 200 ms)",
        "",
        "| scenario | req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        name = r.name.replace("|", "\\|")
        rows.append(
            f"| {name} | {r.rate:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.unexpected} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000, help="PostgreSQL users")
    parser.add_argument("--sqlite-users", type=int, default=100_000, help="SQLite users")
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario")
    parser.add_argument(
        "--backend", choices=("postgresql", "sqlite", "mariadb", "both"), default="both"
    )
    parser.add_argument(
        "--mariadb-url",
        default=os.environ.get("BENCH_MARIADB_URL", bench_mariadb.DEFAULT_SERVER),
        help=f"MariaDB/MySQL server for --backend mariadb (default {bench_mariadb.DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER),
        help=f"PostgreSQL server to create the throwaway database on (default {DEFAULT_SERVER})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / "server.log"
    log.write_bytes(b"")
    started = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    sections = []
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    postgres_version = "-"
    for backend in backends:
        if backend == "postgresql":
            with postgresql_database(args.database_url, args.keep) as db:
                postgres_version = db.query("SHOW server_version")[0][0]
                results, filtered, high_water = run_backend(backend, db, args.users, args, log)
            sections.append(table("PostgreSQL", args.users, results, high_water))
            sections.append(filtered_table("PostgreSQL", filtered))
        elif backend == "mariadb":
            with bench_mariadb.throwaway_database(args.mariadb_url, args.keep) as (url, query):
                db = Database(url, query)
                mariadb_version = db.query("SELECT version()")[0][0]
                results, filtered, high_water = run_backend(backend, db, args.users, args, log)
            sections.append(table(f"MariaDB {mariadb_version}", args.users, results, high_water))
            sections.append(filtered_table("MariaDB", filtered))
        else:
            with sqlite_database(args.keep) as db:
                results, filtered, high_water = run_backend(
                    backend, db, args.sqlite_users, args, log
                )
            sections.append(table("SQLite", args.sqlite_users, results, high_water))
            sections.append(filtered_table("SQLite", filtered))
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    report = "\n\n".join(
        [
            f"Run {started:%Y-%m-%d %H:%M} UTC on {machine()}, PostgreSQL {postgres_version}; "
            f"wrk -t1 -c{CONNECTIONS} -d{args.duration:g}s per scenario, one server worker"
            + ("" if args.no_pin else " pinned to core 1, wrk to core 0")
            + f"; load average before: {load_before:.2f}.",
            *sections,
            f"`{command.strip()}`",
        ]
    )
    (RESULTS / "latest.md").write_text(report + "\n")
    print()
    print(report)


if __name__ == "__main__":
    main()

"""Shares of a py-spy profile of `users-service serve`, bucketed by the code the samples are in.

    py-spy record -p <server pid> -d 10 -r 100 -f raw -o profile.txt    # while wrk runs
    .venv/bin/python -m bench.profile_buckets profile.txt [more.txt ...]

Each sample goes to the bucket of its deepest frame that belongs to one of those below
(searched from the leaf up); what matches none is uvicorn, Starlette and the middleware on the event
loop. On PostgreSQL a unit of work runs in a greenlet (adapters/cooperative.py) and py-spy
keeps showing a suspended greenlet's frames while the loop waits, so the driver bucket holds
the time spent waiting for PostgreSQL as well as psycopg2's own work: compare it with the
server's CPU share from `python -m bench.cost`.
"""

from __future__ import annotations

import collections
import sys

BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("access log line", ("_log_access", "logging/__init__")),
    (
        "psycopg2 execute/fetch and waiting for PostgreSQL",
        ("SqlAlchemyUnitOfWork._run", "_bounded_wait", "wait_socket"),
    ),
    (
        "unit of work: pool, prepared statements, transaction",
        ("unit_of_work.py", "sqlalchemy/pool", "adapters/compiled.py"),
    ),
    ("greenlet runner: switches, socket watching", ("adapters/cooperative.py",)),
    ("repository: rows to users, statements", ("adapters/sql.py", "adapters/listing.py")),
    (
        "parsing, validation, use case, documents, JSON",
        (
            "http/resources.py",
            "http/jsonapi.py",
            "http/query.py",
            "http/etag.py",
            "http/negotiation.py",
            "domain/",
            "orjson",
        ),
    ),
)
REST = "uvicorn, Starlette, the middleware (event loop)"


def bucket(frames: list[str]) -> str:
    """The bucket of the deepest frame that belongs to one."""
    for frame in reversed(frames):
        for name, markers in BUCKETS:
            if any(marker in frame for marker in markers):
                return name
    return REST


def shares(path: str) -> tuple[int, collections.Counter[str]]:
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as lines:
        for line in lines:
            stack, samples = line.rsplit(" ", 1)
            counts[bucket(stack.split(";"))] += int(samples)
            total += int(samples)
    return total, counts


def main() -> None:
    for path in sys.argv[1:]:
        total, counts = shares(path)
        print(f"{path}: {total} samples")
        for name in [*(name for name, _ in BUCKETS), REST]:
            print(f"  {100 * counts[name] / max(total, 1):5.1f}%  {name}")


if __name__ == "__main__":
    main()

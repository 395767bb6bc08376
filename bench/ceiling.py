"""The calibration server: the database ceiling for a single-user GET.

    .venv/bin/python -m bench.ceiling --database-url URL --port PORT

A bare Starlette app under the uvicorn settings `users-service serve` uses (uvloop, httptools,
one worker, no access log): `GET /users/{id}` runs one primary-key SELECT with psycopg2 from a
connection pool (autocommit, so one round trip) and returns the row as JSON. The endpoint is a
plain `def`, run in Starlette's thread pool like the service's endpoints. On SQLite it does the
same with the standard library's sqlite3, one connection per thread; on MariaDB/MySQL with
PyMySQL (autocommit) from a pool (bench/mariadb.py).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.pool
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.database_url import normalize_database_url

SQL = "SELECT id, name, address, age, profession, website, version FROM users WHERE id = %s"
#: As many as the thread pool has threads (anyio's default is 40); wrk keeps 32 busy.
CONNECTIONS = 40
FIELDS = ("id", "name", "address", "age", "profession", "website", "version")


def _postgresql_fetch(url: str) -> Callable[[int], tuple[Any, ...] | None]:
    dsn = normalize_database_url(url).replace("postgresql+psycopg2://", "postgresql://", 1)
    # minconn = maxconn: psycopg2's pool closes a returned connection beyond minconn.
    pool = psycopg2.pool.ThreadedConnectionPool(CONNECTIONS, CONNECTIONS, dsn)

    def fetch(user_id: int) -> tuple[Any, ...] | None:
        connection = pool.getconn()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(SQL, (user_id,))
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
        finally:
            pool.putconn(connection)

    return fetch


def _sqlite_fetch(url: str) -> Callable[[int], tuple[Any, ...] | None]:
    path = normalize_database_url(url).removeprefix("sqlite:///")
    local = threading.local()
    statement = SQL.replace("%s", "?")

    def fetch(user_id: int) -> tuple[Any, ...] | None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = sqlite3.connect(path, check_same_thread=False)
        row: tuple[Any, ...] | None = connection.execute(statement, (user_id,)).fetchone()
        return row

    return fetch


def create_app(url: str) -> Starlette:
    normalized = normalize_database_url(url)
    if normalized.startswith("mysql"):
        from bench.mariadb import ceiling_fetch

        fetch = ceiling_fetch(url, CONNECTIONS)
    elif normalized.startswith("sqlite"):
        fetch = _sqlite_fetch(url)
    else:
        fetch = _postgresql_fetch(url)

    def user(request: Request) -> Response:
        row = fetch(request.path_params["user_id"])
        if row is None:
            return Response(status_code=404)
        body = json.dumps(dict(zip(FIELDS, row, strict=True)), separators=(",", ":"))
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/users/{user_id:int}", user)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database_url),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()

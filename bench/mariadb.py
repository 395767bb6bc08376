"""MariaDB/MySQL for the benchmark: a throwaway database, the seed, the ceiling's SELECT.

    .venv/bin/python -m bench.run --backend mariadb [--mariadb-url mysql://root@127.0.0.1:3306/]

Seeding: the secondary indexes (the name key's unique one included) and the search keys'
FULLTEXT index are taken off, the rows stream in with LOAD DATA LOCAL INFILE while Python
generates them, the search keys are joined in SQL, and the indexes are built again over the
loaded rows (InnoDB sorts them in bulk, far faster than row by row). The definitions are read
back from SHOW CREATE TABLE, so they come back exactly as the migrations made them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pymysql
from sqlalchemy.engine import make_url

from adapters.counts import recount
from adapters.database_url import normalize_database_url
from adapters.engine import create_engine_for
from adapters.tables import SEARCH_SEPARATOR
from bench.data import COLUMNS, Counts, users

DEFAULT_SERVER = "mysql://root@127.0.0.1:3306/"


def connect(url: str, **options: Any) -> pymysql.connections.Connection[Any]:
    parsed = make_url(normalize_database_url(url))
    return pymysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=parsed.database or None,
        charset="utf8mb4",
        autocommit=True,
        **options,
    )


@contextmanager
def throwaway_database(server_url: str, keep: bool) -> Iterator[tuple[str, Callable[..., Any]]]:
    """A new database on the server, its URL and a query function; dropped unless `keep`."""
    admin = connect(server_url)
    name = f"users_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    parsed = make_url(normalize_database_url(server_url)).set(database=name)
    url = parsed.set(drivername="mysql").render_as_string(hide_password=False)
    connection: Any = None

    def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        nonlocal connection
        if connection is None:
            connection = connect(url)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    try:
        yield url, query
    finally:
        if connection is not None:
            connection.close()
        admin.close()
        if keep:
            print(f"kept the database: {url}")
        else:
            admin = connect(server_url)  # anew: the server may have restarted meanwhile
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE `{name}`")
            admin.close()


@contextmanager
def throwaway_url(server_url: str) -> Iterator[str]:
    """throwaway_database's URL alone."""
    with throwaway_database(server_url, keep=False) as (url, _):
        yield url


def _index_definitions(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, `ADD ...` clause) of every index of `table` but the primary key."""
    cursor.execute(f"SHOW CREATE TABLE {table}")
    (_, ddl) = cursor.fetchone()
    found = []
    for line in ddl.splitlines():
        match = re.match(r"\s*((?:UNIQUE |FULLTEXT )?KEY `([^`]+)` .*?),?$", line)
        if match:
            found.append((match.group(2), match.group(1)))
    return found


def _write_rows(path: str, count: int, seed: int, counts: Counts) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with open(path, "w", encoding="utf-8") as out:
        for row in users(count, seed=seed, now=now, counts=counts):
            # Generated values hold no tab, newline or backslash (bench.data's word lists).
            out.write("\t".join(row) + "\n")


def seed_mariadb(url: str, count: int, *, seed: int = 20261125) -> Counts:
    counts = Counts()
    connection = connect(url, local_infile=True)
    fifo = os.path.join(tempfile.mkdtemp(prefix="users_bench_"), "users.tsv")
    os.mkfifo(fifo)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM users")
            if cursor.fetchone()[0]:
                raise SystemExit("the users table is not empty")
            cursor.execute("SET SESSION max_statement_time = 0, unique_checks = 0")
            cursor.execute("SET SESSION innodb_ft_enable_stopword = OFF")  # as migration 0003
            indexes = {
                table: _index_definitions(cursor, table) for table in ("users", "user_search_keys")
            }
            cursor.execute("SHOW CREATE TABLE user_search_keys")
            (_, search_keys_ddl) = cursor.fetchone()
            drops = ", ".join(f"DROP INDEX `{name}`" for name, _ in indexes["users"])
            cursor.execute(f"ALTER TABLE users {drops}")
            # Made anew rather than its FULLTEXT index dropped: InnoDB keeps the hidden
            # FTS_DOC_ID column then, and an index built again over rows written meanwhile
            # found nothing (MariaDB 10.11). Over a new table the index is built as
            # migration 0003 builds it over existing rows.
            cursor.execute("DROP TABLE user_search_keys")
            cursor.execute(re.sub(r",\n\s*FULLTEXT KEY [^\n]*", "", search_keys_ddl))
            writer = threading.Thread(target=_write_rows, args=(fifo, count, seed, counts))
            writer.start()
            cursor.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE users CHARACTER SET utf8mb4 "
                f"FIELDS TERMINATED BY '\\t' ({', '.join(COLUMNS)})",
                (fifo,),
            )
            writer.join()
            keys = ", ".join(f"{attribute}_key" for attribute in ("name", "address", "profession"))
            cursor.execute(
                "INSERT INTO user_search_keys (user_id, search_key) "
                f"SELECT id, CONCAT_WS(%s, {keys}, website_key) FROM users",
                (SEARCH_SEPARATOR,),
            )
            for table, definitions in indexes.items():
                for _, clause in definitions:  # one at a time: FULLTEXT builds alone
                    cursor.execute(f"ALTER TABLE {table} ADD {clause}")
            cursor.execute("ANALYZE TABLE users, user_search_keys")
            cursor.fetchall()
    finally:
        connection.close()
        os.unlink(fifo)
        os.rmdir(os.path.dirname(fifo))
    engine = create_engine_for(url)
    try:
        recount(engine)
    finally:
        engine.dispose()
    return counts


SQL = "SELECT id, name, address, age, profession, website, version FROM users WHERE id = %s"


def ceiling_fetch(url: str, connections: int) -> Callable[[int], tuple[Any, ...] | None]:
    """The ceiling's one primary-key SELECT through PyMySQL, from a pool of `connections`."""
    pool = [connect(url) for _ in range(connections)]
    lock = threading.Lock()

    def fetch(user_id: int) -> tuple[Any, ...] | None:
        with lock:
            connection = pool.pop()
        try:
            with connection.cursor() as cursor:
                cursor.execute(SQL, (user_id,))
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
        finally:
            with lock:
                pool.append(connection)

    return fetch


class PrivateMariaDB:
    """A MariaDB server of our own in a temporary folder, on a free port of 127.0.0.1, root
    without a password. Stopping it disturbs nobody else (the shared server on 3306 is never
    touched). Needs mariadb-install-db and mariadbd (the mariadb-server package); as root
    the server runs as the `mysql` user."""

    def __init__(self) -> None:
        from bench.servers import SetupError, free_port

        for tool in (INSTALL_DB, SERVER):
            if not os.path.exists(tool):
                raise SetupError(f"{tool} is missing (apt-get install mariadb-server)")
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="users-rel-mariadb-")
        self.data = os.path.join(self.root, "data")
        self.url = f"mysql://root@127.0.0.1:{self.port}/"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "mysql", "mysql")
        user = ["--user=mysql"] if self._as_root else []
        done = subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={self.data}", *user,
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SetupError(f"mariadb-install-db failed: {done.stderr or done.stdout}")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from bench.servers import SetupError

        user = ["--user=mysql"] if self._as_root else []
        self._process = subprocess.Popen(
            [SERVER, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.root}/mariadb.sock",
             f"--pid-file={self.root}/mariadb.pid", f"--log-error={self.root}/error.log",
             "--skip-log-bin", "--character-set-server=utf8mb4",
             "--innodb-buffer-pool-size=64M", "--max-connections=300", *user],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connect(self.url, connect_timeout=1).close()
                return
            except pymysql.err.OperationalError:
                if self._process.poll() is not None:
                    break
                time.sleep(0.2)
        raise SetupError(f"mariadbd did not start (see {self.root}/error.log)")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: SIGKILL, a crash as far as the data is concerned (InnoDB recovers from
        its redo log on the next start); otherwise a clean SIGTERM shutdown."""
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGKILL if mode == "immediate" else signal.SIGTERM)
        process.wait(timeout=60)

    def pids(self) -> list[int]:
        return [] if self._process is None else [self._process.pid]

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


INSTALL_DB = "/usr/bin/mariadb-install-db"
SERVER = "/usr/sbin/mariadbd"


@contextmanager
def private_mariadb() -> Iterator[PrivateMariaDB]:
    server = PrivateMariaDB()
    try:
        server.start()
        yield server
    finally:
        server.remove()

"""MariaDB/MySQL servers for the tests and the benchmark (bench/mariadb.py imports them from
here): a throwaway database on a server, and a private MariaDB server of our own that a test may
kill without disturbing the shared one on port 3306.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pymysql
from sqlalchemy.engine import make_url

from adapters.database_url import normalize_database_url
from tests.support.servers import SetupError, free_port

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


class PrivateMariaDB:
    """A MariaDB server of our own in a temporary folder, on a free port of 127.0.0.1, root
    without a password. Stopping it disturbs nobody else (the shared server on 3306 is never
    touched). Needs mariadb-install-db and mariadbd (the mariadb-server package); as root
    the server runs as the `mysql` user."""

    def __init__(self) -> None:
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

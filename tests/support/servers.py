"""Throwaway servers for the tests and the benchmark (bench/ imports them from here):
`users-service serve` as a real process, a throwaway database on the shared PostgreSQL
server, and a private PostgreSQL cluster that a fault test may stop and start without
touching anyone else's.

Everything listens on 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import httpx
import psycopg2

COMMAND: Final = str(Path(sys.executable).with_name("users-service"))
SHARED_POSTGRES: Final = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_BIN: Final = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


class SetupError(RuntimeError):
    """A tool or server the scripts need is missing or did not start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


#: The password of the admin account the scripts make (the service has no default one).
ADMIN_PASSWORD: Final = "tangerine-orbit-lantern"


def admin_token(database_url: str, name: str = "bench") -> str:
    """An admin account `name` (unless there is one) and a new API token for it, made with
    `users-service accounts create` and `tokens create` (which migrate the database first)."""
    flags = ["--database-url", database_url]
    subprocess.run(
        [COMMAND, "accounts", "create", name, "--role", "admin", "--password-stdin", *flags],
        input=ADMIN_PASSWORD,
        text=True,
        capture_output=True,
        timeout=120,
    )  # fails harmlessly when the account exists
    made = subprocess.run(
        [COMMAND, "tokens", "create", name, "--name", "bench", *flags],
        text=True,
        capture_output=True,
        timeout=120,
    )
    if made.returncode != 0:
        raise SetupError(f"cannot make an API token: {made.stderr.strip()}")
    return made.stdout.strip()


class ServeProcess:
    """`users-service serve` on a free port; its log goes to a file (a pipe could fill up
    under load and stall the server). `auth` holds the Authorization header of an admin
    token made for it."""

    def __init__(
        self, database_url: str, *, workers: int = 1, log_dir: Path, extra: Sequence[str] = ()
    ) -> None:
        self.token = admin_token(database_url)
        self.auth = {"Authorization": f"Bearer {self.token}"}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"serve-{self.port}.log"
        environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                COMMAND,
                "serve",
                "--port",
                str(self.port),
                "--database-url",
                database_url,
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                *extra,
            ],
            cwd=log_dir,
            env=environ,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"serve exited early:\n{self.log()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise SetupError(f"serve did not answer /healthz in {timeout} s:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the uvicorn supervisor), with --workers > 1."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return sorted(int(child) for child in children if _is_python(int(child)))

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self._log.close()
        return self.process.returncode


def _is_python(pid: int) -> bool:
    """Workers run Python; multiprocessing's resource tracker does too but is not a server."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"resource_tracker" not in b" ".join(command)


@contextlib.contextmanager
def serving(
    database_url: str, *, workers: int = 1, log_dir: Path, extra: Sequence[str] = ()
) -> Iterator[ServeProcess]:
    server = ServeProcess(database_url, workers=workers, log_dir=log_dir, extra=extra)
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


def _admin(server_url: str) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(server_url, connect_timeout=5)
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def throwaway_database(
    server_url: str = SHARED_POSTGRES, prefix: str = "users_rel"
) -> Iterator[str]:
    """A new database on `server_url` (a URL naming any database there), dropped afterwards
    after ending only its own sessions (over a new connection: the server may have restarted)."""
    try:
        admin = _admin(server_url)
    except psycopg2.OperationalError as error:
        raise SetupError(f"PostgreSQL is not reachable: {error}".strip()) from None
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = _admin(server_url)
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


class PrivateCluster:
    """A PostgreSQL cluster of our own in a temporary folder, on a free port of 127.0.0.1,
    trust authentication. Stopping it disturbs nobody else. Needs initdb and pg_ctl (the
    postgresql server package); as root they run as the `postgres` user."""

    def __init__(self) -> None:
        for tool in ("initdb", "pg_ctl"):
            if not (POSTGRES_BIN / tool).exists():
                raise SetupError(f"{POSTGRES_BIN / tool} is missing (apt-get install postgresql)")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="users-rel-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(POSTGRES_BIN / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise SetupError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c max_connections=200 -c shared_buffers=32MB"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w",
            "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as the data is concerned: recovery replays the WAL."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, ...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        return [postmaster, *(int(child) for child in children)]

    def remove(self) -> None:
        with contextlib.suppress(SetupError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def answers_while_frozen(
    client: httpx.Client, pids: Sequence[int], paths: Sequence[str] = ("/api/v1/users", "/readyz")
) -> list[tuple[httpx.Response, float]]:
    """Each of `paths` asked while the database processes `pids` are stopped (SIGSTOP: a
    frozen server still acknowledges TCP), with how long each answer took; then resumed."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        answers = []
        for path in paths:
            started = time.monotonic()
            answers.append((client.get(path), time.monotonic() - started))
        return answers
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)

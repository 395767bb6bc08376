"""`users-service serve` as a real process on a free port: a full cycle over a real socket,
then SIGTERM and a clean exit; and `users-service migrate`."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port
from tests.support.users import new_user_document

COMMAND = str(Path(sys.executable).with_name("users-service"))
JSONAPI = "application/vnd.api+json"
PASSWORD = "tangerine-orbit-lantern"


def admin_token(database_url: str) -> str:
    """An admin account and an API token for it, made with the command line."""
    flags = ["--database-url", database_url]
    subprocess.run(
        [COMMAND, "accounts", "create", "root", "--role", "admin", "--password-stdin", *flags],
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    made = subprocess.run(
        [COMMAND, "tokens", "create", "root", "--name", "e2e", *flags],
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return made.stdout.strip()


class Server:
    def __init__(self, database_url: str, cwd: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self.process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(self.port), "--database-url", database_url, *extra],
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_until_healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited early:\n{self.process.communicate()[0]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("serve did not answer /healthz in time")

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=15)
        return self.process.returncode, output


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[type[Server]]:
    started: list[Server] = []

    class Started(Server):
        def __init__(self, database_url: str, *extra: str) -> None:
            super().__init__(database_url, tmp_path, *extra)
            started.append(self)
            self.wait_until_healthy()

    yield Started  # type: ignore[misc]
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def full_cycle(base: str, token: str) -> None:
    name = f"Ada {uuid.uuid4().hex[:8]}"
    document = new_user_document(name=name)
    headers = {"Accept": JSONAPI, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        assert httpx.get(f"{base}/api/v1/users").status_code == 401
        created = client.post("/api/v1/users", json=document, headers={"Content-Type": JSONAPI})
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        user_id = created.json()["data"]["id"]
        read = client.get(location)
        assert read.json()["data"]["attributes"]["name"] == name
        assert read.headers["x-content-type-options"] == "nosniff"
        patch = {"data": {"type": "users", "id": user_id, "attributes": {"age": 37}}}
        changed = client.patch(location, json=patch, headers={"If-Match": read.headers["etag"]})
        assert changed.status_code == 200 and changed.json()["data"]["attributes"]["age"] == 37
        stale = client.patch(location, json=patch, headers={"If-Match": read.headers["etag"]})
        assert stale.status_code == 412
        listed = client.get("/api/v1/users.json", params={"filter[name]": name.upper()})
        assert [user["id"] for user in listed.json()["data"]] == [user_id]
        assert client.delete(location).status_code == 204
        missing = client.get(location)
        assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"
        assert client.get("/readyz").status_code == 200


def stop_cleanly(server: Server) -> str:
    started = time.monotonic()
    status, output = server.stop()
    assert status == 0, output
    assert time.monotonic() - started < 10
    return output


def test_serve_on_sqlite_does_the_full_cycle_and_stops_cleanly_on_sigterm(
    serve: type[Server], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    server = serve(url)
    full_cycle(server.base, admin_token(url))
    output = stop_cleanly(server)
    assert 'users_service.access method=POST path="/api/v1/users" status=201' in output
    assert "uvicorn.access" not in output


@pytest.mark.postgres
def test_serve_on_postgresql_does_the_full_cycle_and_stops_cleanly(
    serve: type[Server], postgres_url: str
) -> None:
    server = serve(postgres_url.replace("postgresql://", "postgres://", 1))
    full_cycle(server.base, admin_token(postgres_url))
    stop_cleanly(server)


@pytest.mark.mariadb
def test_serve_on_mariadb_does_the_full_cycle_and_stops_cleanly(
    serve: type[Server], mariadb_url: str
) -> None:
    url = mariadb_url.replace("mysql://", "mariadb://", 1)
    server = serve(url)
    full_cycle(server.base, admin_token(url))
    stop_cleanly(server)


def test_serve_with_two_workers_answers_and_stops_cleanly(
    serve: type[Server], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    server = serve(url, "--workers", "2")
    full_cycle(server.base, admin_token(url))
    stop_cleanly(server)


def test_serve_defaults_to_users_db_in_the_working_folder(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port)],
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "users.db").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "users.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.3, 0.45, 0.6, 0.9])
def test_sigterm_at_any_moment_of_start_up_stops_serve(tmp_path: Path, delay: float) -> None:
    """Migrating, building the app or starting uvicorn: a SIGTERM is never swallowed."""
    server = Server(f"sqlite:///{tmp_path / 'users.db'}", tmp_path)
    time.sleep(delay)
    try:
        returncode, _ = server.stop()  # SIGTERM, then at most 15 s
    finally:
        if server.process.poll() is None:  # it ignored the signal
            server.process.kill()
            server.process.communicate()
    assert returncode in (0, -signal.SIGTERM)


@pytest.mark.postgres
def test_migrate_takes_a_postgres_url(postgres_url: str) -> None:
    url = postgres_url.replace("postgresql://", "postgres://", 1)
    result = subprocess.run(
        [COMMAND, "migrate", "--database-url", url], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.mariadb
def test_migrate_takes_a_mysql_url_from_the_environment(mariadb_url: str) -> None:
    environ = {**os.environ, "DATABASE_URL": mariadb_url}
    result = subprocess.run(
        [COMMAND, "migrate"], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_migrate_reads_database_url_from_the_environment(tmp_path: Path) -> None:
    environ = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}
    result = subprocess.run(
        [COMMAND, "migrate"], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists()


def test_an_unsupported_database_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [COMMAND, "migrate", "--database-url", "oracle://root:hunter2@db/users"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr + result.stdout


def test_help_documents_the_commands_and_database_url() -> None:
    result = subprocess.run([COMMAND, "serve", "--help"], capture_output=True, text=True)
    for word in (
        "--host",
        "--port",
        "--database-url",
        "--workers",
        "--cors-origin",
        "DATABASE_URL",
    ):
        assert word in result.stdout


def _users_written_by_hand(url: str) -> None:
    """Three users inserted with plain SQL, as a bulk load outside the service would."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    with connection:
        for name in ("Ada", "Bea", "Cy"):
            key = name.casefold()
            connection.execute(
                "INSERT INTO users (name, name_key, address, address_key, address_prefix, age, "
                "profession, profession_key, website, website_key, version, created_at, "
                "updated_at) VALUES (?, ?, 'a', 'a', 'a', 1, 'p', 'p', 'w', 'w', 1, "
                "'2026-01-01', '2026-01-01')",
                (name, key),
            )
    connection.close()


def test_recount_counts_users_written_outside_the_service(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    subprocess.run([COMMAND, "migrate", "--database-url", url], check=True, timeout=60)
    _users_written_by_hand(url)
    result = subprocess.run(
        [COMMAND, "recount", "--database-url", url], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    token = admin_token(url)
    server = Server(url, tmp_path)
    try:
        server.wait_until_healthy()
        page = httpx.get(
            f"{server.base}/api/v1/users?sort=name&page[number]=2&page[size]=2",
            headers={"Accept": JSONAPI, "Authorization": f"Bearer {token}"},
        ).json()
    finally:
        server.stop()
    assert page["meta"]["total"] == 3
    assert [user["attributes"]["name"] for user in page["data"]] == ["Cy"]


def test_serve_without_an_administrator_prints_a_one_time_link_that_creates_one(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'first.db'}"
    server = Server(url, tmp_path)
    try:
        assert server.process.stdout is not None
        line = server.process.stdout.readline()
        while "No administrator yet" not in line:
            assert line, "serve ended without printing the link"
            line = server.process.stdout.readline()
        link = server.process.stdout.readline().strip()
        server.wait_until_healthy()
        assert link.startswith(f"http://127.0.0.1:{server.port}/#!/setup?code=")
        code = link.rsplit("=", 1)[1]
        sign_in = {"username": "root", "password": PASSWORD, "setup_code": code}
        document = {"data": {"type": "sessions", "attributes": sign_in}}
        with httpx.Client(base_url=server.base, timeout=10) as client:
            made = client.post("/api/v1/session", json=document)
            assert made.status_code == 201, made.text
            assert client.get("/api/v1/accounts").json()["data"][0]["attributes"]["role"] == "admin"
            again = httpx.post(f"{server.base}/api/v1/session", json=document)
            assert again.status_code == 403
    finally:
        output = stop_cleanly(server)
    assert code not in output  # printed once, never logged
    restarted = Server(url, tmp_path)
    restarted.wait_until_healthy()
    assert "No administrator yet" not in stop_cleanly(restarted)


def test_behind_a_trusted_proxy_https_makes_the_cookie_secure(
    serve: type[Server], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    admin_token(url)
    document = {
        "data": {"type": "sessions", "attributes": {"username": "root", "password": PASSWORD}}
    }
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    trusting = serve(url, "--trusted-proxy", "127.0.0.1")
    made = httpx.post(f"{trusting.base}/api/v1/session", json=document, headers=forwarded)
    assert made.status_code == 201 and "Secure" in made.headers["set-cookie"]
    assert 'address="203.0.113.9"' in stop_cleanly(trusting)
    plain = serve(url)
    made = httpx.post(f"{plain.base}/api/v1/session", json=document, headers=forwarded)
    assert made.status_code == 201 and "Secure" not in made.headers["set-cookie"]
    assert 'address="127.0.0.1"' in stop_cleanly(plain)

"""`users-service serve` and the Host header: the loopback default, --allowed-host, and the
warning when bound elsewhere with no list."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.test_serve import Server, admin_token


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'users.db'}"


class SignedInServer(Server):
    """A served database with an admin's API token (the API answers no one signed out)."""

    def __init__(self, database_url: str, cwd: Path, *extra: str) -> None:
        self.token = admin_token(database_url)
        super().__init__(database_url, cwd, *extra)


def started(tmp_path: Path, *extra: str) -> SignedInServer:
    server = SignedInServer(sqlite_url(tmp_path), tmp_path, *extra)
    server.wait_until_healthy()
    return server


def get(server: SignedInServer, host: str) -> httpx.Response:
    headers = {"Host": host, "Authorization": f"Bearer {server.token}"}
    return httpx.get(f"{server.base}/api/v1/users", headers=headers, timeout=5)


def test_bound_to_loopback_only_the_loopback_names_are_answered(tmp_path: Path) -> None:
    server = started(tmp_path)
    try:
        refused = get(server, "evil.example")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "host_not_allowed"
        answered = get(server, f"localhost:{server.port}")
        assert answered.status_code == 200
        assert answered.json()["links"]["self"].startswith(f"http://localhost:{server.port}/")
        assert get(server, f"localhost:{server.port + 1}").status_code == 400
    finally:
        status, output = server.stop()
    assert status == 0
    assert "any Host header" not in output


def test_allowed_hosts_replace_the_default(tmp_path: Path) -> None:
    server = started(tmp_path, "--allowed-host", "users.example", "--allowed-host", "127.0.0.1")
    try:
        answered = get(server, "users.example")
        assert answered.status_code == 200
        assert answered.json()["links"]["first"].startswith("http://users.example/api/v1/users?")
        assert get(server, f"localhost:{server.port}").status_code == 400
    finally:
        server.stop()


def test_bound_to_every_address_without_a_list_any_host_is_answered_with_a_warning(
    tmp_path: Path,
) -> None:
    server = started(tmp_path, "--host", "0.0.0.0")
    try:
        assert get(server, "anything.example").status_code == 200
    finally:
        status, output = server.stop()
    assert status == 0
    assert "answering requests for any Host header" in output
    assert "--allowed-host" in output

"""Request heads (request line and headers) over raw sockets against `users-service serve`:
bounded in size and in time, and uvicorn's own answers carry our headers (issue 12 items 3,
6 and 7). The protocol is the same whatever the database, so these run on SQLite."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.http.security import SECURITY_HEADERS
from entrypoints.http_protocol import HEAD_BYTES_MAX, HEAD_TIMEOUT_S
from tests.support.servers import admin_token

COMMAND = str(Path(sys.executable).with_name("users-service"))
JSONAPI = "application/vnd.api+json"


class Served:
    def __init__(self, folder: Path, *extra: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"serve-{self.port}.log"
        # An admin's API token: the body test below needs the API to read the body.
        self.token = admin_token(f"sqlite:///{folder / 'users.db'}")
        environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    *(COMMAND, "serve", "--port", str(self.port), "--log-level", "info"),
                    *("--database-url", f"sqlite:///{folder / 'users.db'}", *extra),
                ],
                cwd=folder,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"serve did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(20)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(tmp_path_factory.mktemp("heads"))
    try:
        yield server
    finally:
        server.stop()


def _answer(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Reads one whole answer (it closes the connection or gives its length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"closed without an answer after {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        assert name.lower() not in headers, f"{name} twice"
        headers[name.lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk
        body += chunk
    return int(lines[0].split()[1]), headers, body


def _check_refusal(answer: tuple[int, dict[str, str], bytes], status: int) -> dict[str, str]:
    got, headers, body = answer
    assert got == status, body
    for name, value in SECURITY_HEADERS:
        assert headers[name.lower()] == value
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"] == JSONAPI
    [error] = json.loads(body)["errors"]
    assert error["status"] == str(status)
    return headers


def _closed(connection: socket.socket, within: float) -> bool:
    """True when the server ends the connection within `within` seconds (reading whatever
    it sends first)."""
    connection.settimeout(within)
    try:
        while connection.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /" + b"a" * HEAD_BYTES_MAX + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * HEAD_BYTES_MAX + b"\r\n\r\n", 431),
        (
            b"GET /healthz HTTP/1.1\r\n" + b"X-Many: c\r\n" * (HEAD_BYTES_MAX // 11 + 1) + b"\r\n",
            431,
        ),
    ],
    ids=["long-request-line", "long-header", "many-headers"],
)
def test_a_head_over_the_limit_is_refused_with_our_headers_and_closed(
    served: Served, head: bytes, status: int
) -> None:
    with served.connect() as connection:
        connection.sendall(head)
        _check_refusal(_answer(connection), status)
        assert _closed(connection, 2)


def test_a_head_just_under_the_limit_and_a_large_body_after_it_are_served(
    served: Served,
) -> None:
    host = f"Host: 127.0.0.1:{served.port}\r\n".encode()  # an allowed host
    head = b"GET /healthz HTTP/1.1\r\n" + host + b"X-Pad: "
    head += b"p" * (HEAD_BYTES_MAX - len(head) - 4) + b"\r\n\r\n"
    assert len(head) == HEAD_BYTES_MAX
    body = json.dumps({"data": {"type": "users", "attributes": {"name": "x" * 60_000}}}).encode()
    post = (
        b"POST /api/v1/users HTTP/1.1\r\n"
        + host
        + f"Authorization: Bearer {served.token}\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with served.connect() as connection:
        # Two requests on one connection, in one write: the count starts again for each head.
        connection.sendall(head + post)
        assert _answer(connection)[0] == 200
        status, _, document = _answer(connection)
        assert status == 422, document  # the body was read whole: the name is too long


def test_a_100_mb_header_line_ends_its_connection_and_never_stalls_other_requests(
    served: Served,
) -> None:
    sent = 0
    slowest = 0.0
    with served.connect() as connection, httpx.Client(base_url=served.base) as other:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: ")
        chunk = b"a" * (1 << 20)
        with contextlib.suppress(OSError):
            for _ in range(100):
                connection.sendall(chunk)
                sent += len(chunk)
                started = time.perf_counter()
                assert other.get("/healthz").status_code == 200
                slowest = max(slowest, time.perf_counter() - started)
    assert sent < 20 * (1 << 20), "the server kept reading"
    assert slowest < 1.0


def test_unfinished_heads_keep_no_memory(served: Served) -> None:
    before = served.rss_kb()
    connections = []
    try:
        for _ in range(5):
            connection = served.connect()
            connections.append(connection)
            with contextlib.suppress(OSError):
                connection.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: ")
                for _ in range(40):
                    connection.sendall(b"b" * (1 << 20))
        grown_mb = (served.rss_kb() - before) / 1024
        assert grown_mb < 20, f"{grown_mb:.0f} MB"
    finally:
        for connection in connections:
            connection.close()


def test_slow_and_silent_connections_are_closed_once_the_head_deadline_passes(
    served: Served,
) -> None:
    trickling = [served.connect() for _ in range(100)]
    silent = [served.connect() for _ in range(20)]
    try:
        for connection in trickling:
            connection.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        while time.monotonic() - started < HEAD_TIMEOUT_S - 1:
            for connection in trickling:
                connection.sendall(b"X-Slow: a\r\n")
            time.sleep(0.5)
        _check_refusal(_answer(trickling[0]), 408)
        for connection in trickling + silent:
            assert _closed(connection, 3)
        assert time.monotonic() - started < HEAD_TIMEOUT_S + 4
        assert httpx.get(f"{served.base}/healthz").status_code == 200
    finally:
        for connection in trickling + silent:
            connection.close()


@pytest.mark.parametrize(
    "head",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello
        b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ],
    ids=["tls", "unknown-method", "space-in-name", "nul-in-value", "bad-version"],
)
def test_uvicorns_own_answers_carry_our_headers(served: Served, head: bytes) -> None:
    with served.connect() as connection:
        connection.sendall(head)
        _check_refusal(_answer(connection), 400)


def test_a_client_gone_mid_body_is_let_go_at_once_and_logged_as_499(served: Served) -> None:
    with served.connect() as connection:
        connection.sendall(
            b"POST /api/v1/users HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{served.port}\r\n".encode()
            + b"Content-Type: application/json\r\n"
            + b'Content-Length: 1000\r\n\r\n{"data":'
        )
        time.sleep(0.2)
        connection.shutdown(socket.SHUT_WR)
        started = time.monotonic()
        assert _closed(connection, 2)
        assert time.monotonic() - started < 1
    deadline = time.monotonic() + 5
    while 'method=POST path="/api/v1/users" status=499' not in served.log():
        assert time.monotonic() < deadline, served.log()[-2000:]
        time.sleep(0.1)
    assert "status=500" not in served.log()


def test_every_worker_of_a_multi_process_serve_bounds_heads(tmp_path: Path) -> None:
    server = Served(tmp_path, "--workers", "2")
    try:
        for _ in range(4):  # connections spread over both workers
            with server.connect() as connection:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nX: " + b"b" * HEAD_BYTES_MAX)
                _check_refusal(_answer(connection), 431)
    finally:
        server.stop()

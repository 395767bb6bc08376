"""Measures what issue 12's outside probe did to a running service, one case at a time.

    .venv/bin/python -m bench.hostile_probe --case all            # a fresh SQLite service
    .venv/bin/python -m bench.hostile_probe --case search --database-url postgresql://...
    PYTHONPATH=/tmp/old-tree .venv/bin/python bench/hostile_probe.py   # another tree

Cases: `paths` (asset names and ids the file system or int() refused: the status and the
log bytes of each request), `header-line` (one 100 MB header line; /healthz latency
meanwhile), `unfinished`
(five unfinished 40 MB heads; the server's RSS growth), `slowloris` (200 connections
trickling header lines; how many are still open after 10 s), `search` (a 65,000-character
filter[search] term of one repeated character against a table holding a matching row:
its time and the server's RSS; then a plain GET while 32 run at once), `disconnect` (a
POST whose client closes mid-body: how long the server holds it, what the log says).
Starts `users-service serve` (as `python -m entrypoints.cli`, so PYTHONPATH picks the
tree) on a temporary SQLite file unless --database-url names another database.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


#: The Authorization header of an admin's API token for the service under probe (empty for
#: a tree without accounts): the cases that reach the API must get past sign-in.
AUTH: dict[str, str] = {}


def _admin_token(database_url: str) -> None:
    """Makes an admin account and an API token with the tree's own command line."""
    cli = [sys.executable, "-m", "entrypoints.cli"]
    flags = ["--database-url", database_url]
    subprocess.run(
        [*cli, "accounts", "create", "probe", "--role", "admin", "--password-stdin", *flags],
        input="tangerine-orbit-lantern",
        text=True,
        capture_output=True,
        timeout=120,
    )
    made = subprocess.run(
        [*cli, "tokens", "create", "probe", "--name", "probe", *flags],
        text=True,
        capture_output=True,
        timeout=120,
    )
    if made.returncode == 0:
        AUTH["Authorization"] = f"Bearer {made.stdout.strip()}"


@contextlib.contextmanager
def _service(database_url: str, folder: Path) -> Iterator[tuple[str, int, Path]]:
    port = free_port()
    log = folder / "serve.log"
    _admin_token(database_url)
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "entrypoints.cli",
                "serve",
                "--port",
                str(port),
                "--database-url",
                database_url,
                "--log-level",
                "info",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
        try:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", process.pid, log
        finally:
            process.terminate()
            process.wait(30)


def _healthz_latencies(base: str, stop: threading.Event, into: list[float]) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"{base}/healthz")
            into.append(time.perf_counter() - started)
            time.sleep(0.02)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def header_line(base: str, pid: int) -> None:
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_healthz_latencies, args=(base, stop, latencies))
    watcher.start()
    time.sleep(0.5)
    started = time.perf_counter()
    sent = 0
    with _connect(port) as connection:
        try:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            chunk = b"a" * (1 << 20)
            for _ in range(100):
                connection.sendall(chunk)
                sent += len(chunk)
            connection.sendall(b"\r\n\r\n")
            answer = connection.recv(200).split(b"\r\n", 1)[0]
        except OSError as error:
            answer = f"connection ended after {sent >> 20} MB: {error}".encode()
    elapsed = time.perf_counter() - started
    time.sleep(0.5)
    stop.set()
    watcher.join()
    print(
        f"header-line: answer {answer!r} after {elapsed:.2f} s; /healthz max "
        f"{max(latencies) * 1000:.0f} ms over {len(latencies)} requests; RSS {_rss_mb(pid):.0f} MB"
    )


def unfinished(base: str, pid: int) -> None:
    port = int(base.rsplit(":", 1)[1])
    before = _rss_mb(pid)
    connections = []
    for _ in range(5):
        connection = _connect(port)
        connection.settimeout(5)
        try:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: ")
            for _ in range(40):
                connection.sendall(b"b" * (1 << 20))
        except OSError:
            pass
        connections.append(connection)
    time.sleep(1)
    print(f"unfinished: RSS {before:.0f} -> {_rss_mb(pid):.0f} MB with five 40 MB heads open")
    for connection in connections:
        connection.close()


def slowloris(base: str, pid: int, count: int = 200, seconds: float = 10) -> None:
    port = int(base.rsplit(":", 1)[1])
    connections = [_connect(port) for _ in range(count)]
    for connection in connections:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.sendall(b"X-a: b\r\n")
        time.sleep(1)
    open_ = 0
    for connection in connections:
        connection.setblocking(False)
        try:
            connection.recv(1 << 16)  # an answer or the end: the server has given up on it
        except BlockingIOError:
            open_ += 1  # nothing to read and not closed: still open
        except OSError:
            pass
        connection.close()
    print(f"slowloris: {open_} of {count} connections still open after {seconds:g} s")


def search(base: str, pid: int, length: int = 65_000) -> None:
    length = int(os.environ.get("PROBE_SEARCH_LENGTH", length))
    term = "a" * length
    with httpx.Client(timeout=120, headers=AUTH) as client:
        created = client.post(
            f"{base}/api/v1/users",
            json={
                "data": {
                    "type": "users",
                    "attributes": {
                        "name": "Probe " + "a" * 200,
                        "address": "a" * 1990,
                        "age": 30,
                        "profession": "a" * 240,
                        "website": "https://a.example",
                    },
                }
            },
            headers={"Content-Type": "application/vnd.api+json"},
        )
        user = created.json()["data"]["id"]
        before = _rss_mb(pid)
        started = time.perf_counter()
        answer = client.get(f"{base}/api/v1/users", params={"filter[search]": term})
        one = time.perf_counter() - started
        print(
            f"search: one {length}-character term: {answer.status_code} in {one * 1000:.0f} ms,"
            f" RSS {before:.0f} -> {_rss_mb(pid):.0f} MB"
        )

    def hammer() -> None:
        with httpx.Client(timeout=300, headers=AUTH) as own:
            own.get(f"{base}/api/v1/users", params={"filter[search]": term})

    threads = [threading.Thread(target=hammer) for _ in range(32)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    started = time.perf_counter()
    httpx.get(f"{base}/api/v1/users/{user}", timeout=300, headers=AUTH)
    plain = time.perf_counter() - started
    peak = _rss_mb(pid)
    for thread in threads:
        thread.join()
    print(
        f"search: a plain GET while 32 such searches run: {plain * 1000:.0f} ms; "
        f"RSS then {peak:.0f} MB"
    )


def disconnect(base: str, pid: int, log: Path) -> None:
    port = int(base.rsplit(":", 1)[1])
    with _connect(port) as connection:
        signed = "".join(f"{name}: {value}\r\n" for name, value in AUTH.items()).encode()
        connection.sendall(
            b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port
            + signed
            + b"Content-Type: application/json\r\n"
            + b'Content-Length: 1000\r\n\r\n{"data":'
        )
        time.sleep(0.2)
        connection.shutdown(socket.SHUT_WR)
        started = time.perf_counter()
        connection.settimeout(30)
        with contextlib.suppress(OSError):
            while connection.recv(1 << 16):
                pass
        held = time.perf_counter() - started
    time.sleep(0.3)
    lines = [line for line in log.read_text().splitlines() if "POST" in line]
    print(f"disconnect: connection held {held:.2f} s after the client's close; log: {lines[-1:]}")


def paths(base: str, log: Path) -> None:
    """Crafted paths: the status and the log bytes each request costs."""
    digits = "9" * 5000
    cases = [
        ("GET", "/assets/app/" + "a" * 300 + ".js"),
        ("GET", "/assets/app/" + "a" * 15000 + ".js"),
        ("GET", f"/api/v1/users/{digits}"),
        ("PATCH", f"/api/v1/users/{digits}"),
        ("DELETE", f"/api/v1/users/{digits}"),
        ("GET", "/assets/app/" + "a" * 65000 + ".js"),
    ]
    body = b'{"data":{"type":"users","id":"1","attributes":{}}}'
    for method, path in cases:
        before = log.stat().st_size
        response = httpx.request(
            method,
            base + path,
            content=body if method == "PATCH" else None,
            headers={"Content-Type": "application/json", **AUTH},
        )
        time.sleep(0.3)
        print(
            f"paths: {method} {path[:20]}... ({len(path)} characters): "
            f"{response.status_code}, log +{log.stat().st_size - before} bytes"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="all")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'probe.db'}"
        with _service(url, Path(folder)) as (base, pid, log):
            cases = ["paths", "header-line", "unfinished", "slowloris", "search", "disconnect"]
            for case in cases if args.case == "all" else args.case.split(","):
                if case == "paths":
                    paths(base, log)
                elif case == "header-line":
                    header_line(base, pid)
                elif case == "unfinished":
                    unfinished(base, pid)
                elif case == "slowloris":
                    slowloris(base, pid)
                elif case == "search":
                    search(base, pid)
                elif case == "disconnect":
                    disconnect(base, pid, log)


if __name__ == "__main__":
    main()

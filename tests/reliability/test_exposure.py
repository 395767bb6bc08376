"""Headers and exposure on the responses tests/http does not already cover: every error status
the service produces (400, 403, 404, 405, 406, 408, 409, 412, 413 declared and streamed, 415,
422, 500, 503), 304, static files, HEAD and CORS preflights; and the same over a real socket
from `users-service serve`, where CORS is off unless --cors-origin opens it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.errors import StorageUnavailableError
from entrypoints.http.security import SECURITY_HEADERS
from tests.http.conftest import memory_client
from tests.http.documents import JSONAPI, new_user
from tests.http.test_service_behaviour import broken_client
from tests.support.servers import ServeProcess, serving

HEADERS = {"Content-Type": JSONAPI}
Request = Callable[[Any], Any]


def _chunks() -> Iterator[bytes]:
    for _ in range(80):
        yield b"x" * 1024


REQUESTS: dict[str, Request] = {
    "400 malformed": lambda c: c.post("/api/v1/users", content=b"{", headers=HEADERS),
    "400 parameter": lambda c: c.get("/api/v1/users?page[size]=0"),
    "403 client id": lambda c: c.post(
        "/api/v1/users", json={"data": {"type": "users", "id": "1"}}, headers=HEADERS
    ),
    "404 user": lambda c: c.get("/api/v1/users/123456"),
    "404 path": lambda c: c.get("/nowhere/../etc/passwd"),
    "405": lambda c: c.put("/api/v1/users/1"),
    "406": lambda c: c.get("/api/v1/users", headers={"Accept": f"{JSONAPI}; ext=x"}),
    "409 type": lambda c: c.post("/api/v1/users", json={"data": {"type": "x"}}, headers=HEADERS),
    "413 declared": lambda c: c.post("/api/v1/users", content=b"x" * 70_000, headers=HEADERS),
    "413 streamed": lambda c: c.post("/api/v1/users", content=_chunks(), headers=HEADERS),
    "415": lambda c: c.post(
        "/api/v1/users", content=b"a=b", headers={"Content-Type": "text/plain"}
    ),
    "422": lambda c: c.post("/api/v1/users", json=new_user(age=-1), headers=HEADERS),
    "200 asset": lambda c: c.get("/assets/app/app.js"),
    "404 asset": lambda c: c.get("/assets/app/../../entrypoints/cli.py"),
    "200 HEAD": lambda c: c.head("/healthz"),
    "200 readyz": lambda c: c.get("/readyz"),
}


def _check_headers(response: Any) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name) == value, (response.status_code, name)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "access-control-allow-origin" not in response.headers
    if response.status_code >= 400:
        assert response.headers["content-type"] == JSONAPI
        error = json.loads(response.content)["errors"][0]
        assert error["status"] == str(response.status_code)
        assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_every_status_carries_the_security_headers_in_process(case: str) -> None:
    with memory_client() as client:
        response = REQUESTS[case](client)
        assert response.status_code == int(case.split()[0]), response.text
        _check_headers(response)


def test_304_412_500_and_503_carry_the_security_headers() -> None:
    with memory_client() as client:
        created = client.post("/api/v1/users", json=new_user(), headers=HEADERS)
        location, etag = created.headers["location"], created.headers["etag"]
        not_modified = client.get(location, headers={"If-None-Match": etag})
        client.patch(
            location,
            json={"data": {"type": "users", "id": location.rsplit("/", 1)[1], "attributes": {}}},
            headers={**HEADERS, "If-Match": '"1-99"'},
        )
        stale = client.delete(location, headers={"If-Match": '"1-99"'})
    assert (not_modified.status_code, stale.status_code) == (304, 412)
    for response in (not_modified, stale):
        _check_headers(response)
    for error, status in ((RuntimeError("boom"), 500), (StorageUnavailableError("down"), 503)):
        with broken_client(error) as broken:
            response = broken.get("/api/v1/users")
            assert response.status_code == status
            _check_headers(response)


def test_a_preflight_from_a_configured_origin_carries_the_security_headers_too() -> None:
    with memory_client(cors_origins=["https://app.example"]) as client:
        preflight = client.options(
            "/api/v1/users",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        refused = client.options(
            "/api/v1/users",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in refused.headers
    for response in (preflight, refused):
        for name, value in SECURITY_HEADERS:
            assert response.headers[name] == value


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    folder = tmp_path_factory.mktemp("exposure")
    with serving(f"sqlite:///{folder / 'users.db'}", log_dir=Path(folder)) as server:
        yield server


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_every_status_carries_the_security_headers_over_a_real_socket(
    live: ServeProcess, case: str
) -> None:
    with httpx.Client(base_url=live.base, timeout=10, headers=live.auth) as client:
        response = REQUESTS[case](client)
        assert response.status_code == int(case.split()[0]), response.text
        _check_headers(response)


def test_cors_is_off_on_the_real_service_and_opens_with_cors_origin(tmp_path: Path) -> None:
    origin = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    database = f"sqlite:///{tmp_path / 'users.db'}"
    with serving(database, log_dir=tmp_path) as closed:
        response = httpx.options(f"{closed.base}/api/v1/users", headers=origin, timeout=10)
        assert "access-control-allow-origin" not in response.headers
    with serving(
        database, log_dir=tmp_path, extra=["--cors-origin", "https://app.example"]
    ) as opened:
        response = httpx.options(f"{opened.base}/api/v1/users", headers=origin, timeout=10)
        assert response.headers["access-control-allow-origin"] == "https://app.example"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Big": "a" * 256 * 1024},
        {f"X-Many-{n}": "a" for n in range(2000)},
        {"If-Match": ", ".join(f'"1-{n}"' for n in range(20_000))},
        {"Accept": ",".join(["application/vnd.api+json; ext=x"] * 5000)},
    ],
    ids=["one 256 KiB header", "2000 headers", "20000 tags in If-Match", "5000 media ranges"],
)
def test_oversized_headers_get_an_answer_never_a_5xx(
    live: ServeProcess, headers: dict[str, str]
) -> None:
    # httptools sets no header size limit (see README, Reliability): the app answers them.
    with httpx.Client(base_url=live.base, timeout=20, headers=live.auth) as client:
        for method, path in (("GET", "/api/v1/users"), ("DELETE", "/api/v1/users/1")):
            response = client.request(method, path, headers=headers)
            assert response.status_code < 500, response.text

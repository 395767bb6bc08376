"""Across the service: security headers, CORS, health and readiness, 500 and 503, the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.errors import StorageUnavailableError
from entrypoints.http.security import SECURITY_HEADERS
from tests.http.conftest import memory_client
from tests.http.documents import check_document, check_errors, new_user


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/users/9"),
        ("PUT", "/api/v1/users"),
        ("GET", "/nowhere"),
        ("GET", "/healthz"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/"),
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    for name, value in SECURITY_HEADERS:
        assert response.headers[name] == value


def test_the_policy_allows_only_own_scripts_and_styles() -> None:
    policy = dict(SECURITY_HEADERS)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/api/v1/users", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_opens_to_the_configured_origins_only() -> None:
    with memory_client(cors_origins=["https://app.example"]) as client:
        preflight = client.options(
            "/api/v1/users/1",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "content-type, if-match",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        response = client.get("/api/v1/users", headers={"Origin": "https://app.example"})
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        assert "etag" in response.headers["access-control-expose-headers"].lower()
        other = client.get("/api/v1/users", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_health_answers_while_the_process_is_up(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert check_document(response)["meta"] == {"status": "ok"}


def test_ready_when_the_database_answers(client: TestClient) -> None:
    assert check_document(client.get("/readyz"))["meta"] == {"status": "ready"}


def _down() -> None:
    raise StorageUnavailableError("connection refused")


def test_not_ready_is_a_503_document_with_retry_after() -> None:
    with memory_client(readiness=_down) as client:
        response = client.get("/readyz")
        [error] = check_errors(response, 503)
        assert error["code"] == "storage_unavailable"
        assert response.headers["retry-after"].isdigit()
        assert "connection refused" not in response.text


class BrokenUnitOfWork:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def reading(self) -> Any:
        return self

    def __enter__(self) -> Any:
        raise self.error

    def __exit__(self, *args: object) -> None:
        pass


def broken_client(error: Exception) -> TestClient:
    from entrypoints.http.app import create_app
    from tests.signed_in import security

    signed_in, headers = security()
    return TestClient(
        create_app(lambda: BrokenUnitOfWork(error), security=signed_in),  # type: ignore[arg-type, return-value]
        raise_server_exceptions=False,
        headers=headers,
    )


def test_the_database_down_is_a_503_document(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with broken_client(StorageUnavailableError("could not connect to 10.0.0.5")) as broken:
        with caplog.at_level(logging.WARNING, logger="users_service.errors"):
            responses = [
                broken.get("/api/v1/users/1"),
                broken.post("/api/v1/users", json=new_user()),
            ]
        for response, path in zip(responses, ["/api/v1/users/1", "/api/v1/users"], strict=True):
            check_errors(response, 503)
            assert response.json() == {
                "jsonapi": {"version": "1.1"},
                "links": {"self": "http://testserver" + path},
                "errors": [
                    {
                        "status": "503",
                        "code": "storage_unavailable",
                        "title": "Storage unavailable",
                        "detail": "the database cannot be reached right now; try again shortly",
                    }
                ],
            }
            assert "10.0.0.5" not in response.text
            assert response.headers["retry-after"] == "5"
    # The operator's log says why (the client's answer does not).
    logged = [r.getMessage() for r in caplog.records if r.name == "users_service.errors"]
    assert logged == ["storage unavailable: could not connect to 10.0.0.5"] * 2


def test_an_unexpected_error_is_a_generic_500_logged_on_one_line_with_where_it_was_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "SELECT * FROM users -- password=hunter2"
    with broken_client(RuntimeError(secret)) as broken:
        with caplog.at_level(logging.ERROR, logger="users_service.errors"):
            response = broken.get("/api/v1/users?sort=name")
        check_errors(response, 500)
        assert response.json() == {
            "jsonapi": {"version": "1.1"},
            "links": {"self": "http://testserver/api/v1/users?sort=name"},
            "errors": [
                {
                    "status": "500",
                    "code": "internal_error",
                    "title": "Internal server error",
                    "detail": "the server failed to answer this request; it has been logged",
                }
            ],
        }
        assert secret not in response.text and "Traceback" not in response.text
        for name, value in SECURITY_HEADERS:
            assert response.headers[name] == value
        assert response.headers["cache-control"] == "no-store"
    [record] = [r for r in caplog.records if r.name == "users_service.errors"]
    line = record.getMessage()
    assert "\n" not in line and record.exc_info is None
    assert line.startswith(
        "unexpected error on GET /api/v1/users: RuntimeError: " + secret + " [at "
    )
    assert "test_service_behaviour.py" in line and "__enter__" in line


def test_one_structured_access_log_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="users_service.access"):
        client.get("/api/v1/users/42")
    [record] = [r for r in caplog.records if r.name == "users_service.access"]
    assert (record.method, record.path, record.status) == ("GET", "/api/v1/users/42", 404)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert record.getMessage().startswith('method=GET path="/api/v1/users/42" status=404 ')


def test_the_root_serves_a_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")

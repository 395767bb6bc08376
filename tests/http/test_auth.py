"""Who may reach what over HTTP: every route for anonymous, viewer, editor, admin, revoked,
expired and disabled credentials; sign-in by cookie; the security rules around it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from adapters.memory import in_memory_uow_factory
from adapters.memory_accounts import in_memory_accounts_factory
from domain import account_use_cases as uc
from domain.accounts import OPERATOR
from entrypoints.http.app import create_app
from entrypoints.http.auth import Security
from entrypoints.http.resources import UnitOfWorkFactory
from tests.http.documents import JSONAPI, new_user
from tests.signed_in import PASSWORD, bearer, cheap_credentials

CHALLENGE = 'Bearer realm="users-service"'


class World:
    """One app over memory, with accounts of every role and a way to mint tokens."""

    def __init__(
        self, clock: list[datetime], roles: tuple[str, ...] = ("viewer", "editor", "admin")
    ) -> None:
        self.accounts = in_memory_accounts_factory()
        self.kit = cheap_credentials()
        self.clock = clock
        security = Security(self.accounts, self.kit, clock=lambda: self.clock[0])  # type: ignore[arg-type]
        app = create_app(cast(UnitOfWorkFactory, in_memory_uow_factory()), security=security)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.ids: dict[str, int] = {}
        for role in roles:
            account = uc.create_account(
                self.accounts(), self.kit, OPERATOR, role, role, PASSWORD, clock[0]
            )
            self.ids[role] = account.id

    def token(self, account: str, **options: Any) -> dict[str, str]:
        _, secret = uc.create_token(
            self.accounts(), self.kit, OPERATOR, self.ids[account], "t", self.clock[0], **options
        )
        return bearer(secret)

    def sign_in(self, name: str, password: str = PASSWORD, **headers: str) -> Any:
        document = {
            "data": {"type": "sessions", "attributes": {"username": name, "password": password}}
        }
        return self.client.post("/api/v1/session", json=document, headers=headers)


@pytest.fixture
def world() -> Iterator[World]:
    made = World([datetime.now(UTC)])
    with made.client:
        yield made


ROUTES = [
    ("GET", "/api/v1/users", "viewer"),
    ("GET", "/api/v1/users.json", "viewer"),
    ("POST", "/api/v1/users", "editor"),
    ("GET", "/api/v1/users/1", "viewer"),
    ("GET", "/api/v1/users/1.json", "viewer"),
    ("PATCH", "/api/v1/users/1", "editor"),
    ("DELETE", "/api/v1/users/1", "editor"),
    ("GET", "/api/v1/accounts", "admin"),
    ("POST", "/api/v1/accounts", "admin"),
    ("GET", "/api/v1/accounts/3", "admin"),  # the admin's own; others' need admin
    ("PATCH", "/api/v1/accounts/2", "admin"),  # a role change
    ("GET", "/api/v1/tokens", "viewer"),
    ("POST", "/api/v1/tokens", "viewer"),
    ("GET", "/api/v1/session", "viewer"),
    ("DELETE", "/api/v1/session", "viewer"),
]
RANK = {"viewer": 0, "editor": 1, "admin": 2}


def _body(method: str, path: str) -> dict[str, Any] | None:
    if method not in ("POST", "PATCH"):
        return None
    if "users" in path:
        return (
            new_user(name="Grace Hopper")
            if method == "POST"
            else {"data": {"type": "users", "id": "1", "attributes": {"age": 40}}}
        )
    if "accounts" in path:
        if method == "POST":
            return {
                "data": {
                    "type": "accounts",
                    "attributes": {"name": "new", "role": "viewer", "password": PASSWORD},
                }
            }
        return {"data": {"type": "accounts", "id": "2", "attributes": {"role": "viewer"}}}
    return {"data": {"type": "tokens", "attributes": {"label": "x"}}}


def _call(world: World, method: str, path: str, headers: dict[str, str]) -> Any:
    return world.client.request(
        method, path, json=_body(method, path), headers={"Content-Type": JSONAPI, **headers}
    )


@pytest.mark.parametrize(("method", "path", "least"), ROUTES)
def test_without_credentials_every_api_route_is_a_401_with_a_challenge(
    world: World, method: str, path: str, least: str
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Cookie": "users_session=forged"},
    ):
        response = _call(world, method, path, headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["WWW-Authenticate"] == CHALLENGE
        assert response.headers["content-type"] == JSONAPI
        assert response.json()["errors"][0]["code"] == "not_signed_in"


@pytest.mark.parametrize(("method", "path", "least"), ROUTES)
@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_each_role_reaches_what_it_may_and_gets_403_elsewhere(
    world: World, method: str, path: str, least: str, role: str
) -> None:
    admin = world.token("admin")
    world.client.post("/api/v1/users", json=new_user(), headers=admin)
    response = _call(world, method, path, world.token(role))
    if RANK[role] >= RANK[least]:
        assert response.status_code in (200, 201, 204), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["code"] == "forbidden"


def test_the_public_routes_stay_public(world: World) -> None:
    for path in ("/healthz", "/readyz", "/api/v1/openapi.json", "/", "/assets/app/app.js"):
        assert world.client.get(path).status_code == 200, path


def test_a_revoked_token_is_refused_at_once(world: World) -> None:
    headers = world.token("editor")
    assert world.client.get("/api/v1/users", headers=headers).status_code == 200
    token_id = world.client.get("/api/v1/tokens", headers=headers).json()["data"][0]["id"]
    assert world.client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert world.client.get("/api/v1/users", headers=headers).status_code == 401


def test_an_expired_token_is_refused(world: World) -> None:
    headers = world.token("viewer", expires_in_days=1)
    assert world.client.get("/api/v1/users", headers=headers).status_code == 200
    world.clock[0] += timedelta(days=1)
    assert world.client.get("/api/v1/users", headers=headers).status_code == 401


def test_a_disabled_account_is_refused_at_once(world: World) -> None:
    headers = world.token("editor")
    assert world.client.get("/api/v1/users", headers=headers).status_code == 200
    change = {
        "data": {
            "type": "accounts",
            "id": str(world.ids["editor"]),
            "attributes": {"enabled": False},
        }
    }
    response = world.client.patch(
        f"/api/v1/accounts/{world.ids['editor']}", json=change, headers=world.token("admin")
    )
    assert response.status_code == 200 and response.json()["data"]["attributes"]["enabled"] is False
    assert world.client.get("/api/v1/users", headers=headers).status_code == 401
    assert world.sign_in("editor").status_code == 401


def test_a_token_role_below_its_account_limits_it(world: World) -> None:
    headers = world.token("admin", role="viewer")
    assert world.client.get("/api/v1/users", headers=headers).status_code == 200
    assert world.client.post("/api/v1/users", json=new_user(), headers=headers).status_code == 403
    assert (
        world.client.get("/api/v1/session", headers=headers).json()["data"]["attributes"]["role"]
        == "viewer"
    )


def test_sign_in_sets_a_strict_http_only_cookie_and_a_new_id_each_time(world: World) -> None:
    first = world.sign_in("editor")
    assert first.status_code == 201, first.text
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    assert first.json()["data"]["attributes"] == {
        "username": "editor",
        "role": "editor",
        "expires_at": first.json()["data"]["attributes"]["expires_at"],
    }
    old = world.client.cookies["users_session"]
    second = world.sign_in("editor")
    new = world.client.cookies["users_session"]
    assert second.status_code == 201 and new != old
    world.client.cookies.clear()
    assert (
        world.client.get("/api/v1/users", headers={"Cookie": f"users_session={old}"}).status_code
        == 401
    )
    assert (
        world.client.get("/api/v1/users", headers={"Cookie": f"users_session={new}"}).status_code
        == 200
    )


def test_over_https_the_cookie_is_secure(world: World) -> None:
    secure = TestClient(world.client.app, base_url="https://users.example")
    document = {
        "data": {"type": "sessions", "attributes": {"username": "viewer", "password": PASSWORD}}
    }
    response = secure.post("/api/v1/session", json=document)
    assert response.status_code == 201 and "Secure" in response.headers["set-cookie"]


def test_the_session_says_who_is_signed_in_and_sign_out_ends_it(world: World) -> None:
    world.sign_in("viewer")
    session = world.client.get("/api/v1/session")
    assert session.json()["data"]["attributes"]["username"] == "viewer"
    assert (
        world.client.post(
            "/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI}
        ).status_code
        == 403
    )
    secret = world.client.cookies["users_session"]
    out = world.client.delete("/api/v1/session")
    assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
    assert (
        world.client.get(
            "/api/v1/session", headers={"Cookie": f"users_session={secret}"}
        ).status_code
        == 401
    )


def test_a_cookie_write_from_another_origin_is_refused(world: World) -> None:
    world.sign_in("editor")
    evil = {"Origin": "https://evil.example", "Content-Type": JSONAPI}
    response = world.client.post("/api/v1/users", json=new_user(), headers=evil)
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "cross_origin"
    assert world.client.get("/api/v1/users", headers=evil).status_code == 200  # reads pass
    own = {"Origin": "http://testserver", "Content-Type": JSONAPI}
    assert world.client.post("/api/v1/users", json=new_user(), headers=own).status_code == 201
    assert world.client.delete("/api/v1/session", headers=evil).status_code == 403
    world.client.cookies.clear()
    token_write = {**evil, **world.token("editor")}
    assert (
        world.client.post(
            "/api/v1/users", json=new_user(name="Other"), headers=token_write
        ).status_code
        == 201
    )
    assert world.sign_in("editor", Origin="https://evil.example").status_code == 403


def test_guessing_an_account_gets_429_with_retry_after(world: World) -> None:
    for _ in range(5):
        assert world.sign_in("editor", "wrong-password-1").status_code == 401
    refused = world.sign_in("editor")
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert world.sign_in("viewer").status_code == 201  # another account still may


def test_failed_sign_in_is_a_401_that_does_not_say_which_part_was_wrong(world: World) -> None:
    wrong = world.sign_in("editor", "wrong-password-1")
    unknown = world.sign_in("nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["errors"] == unknown.json()["errors"]
    assert wrong.headers["WWW-Authenticate"] == CHALLENGE


def test_a_token_secret_is_shown_once_and_secrets_never_reach_logs_or_other_answers(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    admin = world.token("admin")
    with caplog.at_level(logging.DEBUG):
        created = world.client.post(
            "/api/v1/tokens",
            json={"data": {"type": "tokens", "attributes": {"label": "ci", "role": "editor"}}},
            headers={"Content-Type": JSONAPI, **admin},
        )
        secret = created.json()["data"]["attributes"]["secret"]
        signed_in = world.sign_in("editor")
        session = world.client.cookies["users_session"]
        answers = [
            world.client.get("/api/v1/tokens", headers=admin).text,
            world.client.get(created.headers["Location"], headers=admin).text,
            world.client.get("/api/v1/accounts", headers=admin).text,
            world.client.get("/api/v1/session").text,
            signed_in.text,
        ]
        world.sign_in("editor", "wrong-password-9")
    assert created.status_code == 201 and len(secret) >= 43
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for text in [*answers, logged]:
        for hidden in (secret, session, PASSWORD, "wrong-password-9", "argon2"):
            assert hidden not in text
    assert "token_created id=" in logged and 'sign_in account="editor"' in logged
    assert 'sign_in_failed account="editor"' in logged and "address=" in logged


def test_the_openapi_document_declares_both_schemes_and_each_requirement(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"bearerToken", "sessionCookie"}
    paths = document["paths"]
    assert paths["/healthz"]["get"]["security"] == []
    assert paths["/api/v1/session"]["post"]["security"] == []
    assert paths["/api/v1/users"]["get"]["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    assert "401" in paths["/api/v1/users/{user_id}"]["delete"]["responses"]


def test_the_first_run_code_creates_the_administrator_and_signs_them_in(world: World) -> None:
    fresh = World([datetime.now(UTC)], roles=("viewer", "editor"))
    code = uc.issue_setup_code(fresh.accounts(), fresh.kit, fresh.clock[0])
    assert code is not None
    document = {
        "data": {
            "type": "sessions",
            "attributes": {"username": "root", "password": PASSWORD, "setup_code": code},
        }
    }
    with fresh.client:
        made = fresh.client.post("/api/v1/session", json=document)
        assert made.status_code == 201, made.text
        assert made.json()["data"]["attributes"]["role"] == "admin"
        assert fresh.client.get("/api/v1/accounts").status_code == 200
        again = fresh.client.post("/api/v1/session", json=document)
        assert (
            again.status_code == 403 and again.json()["errors"][0]["code"] == "invalid_setup_code"
        )


def test_account_token_and_session_documents_link_absolutely(world: World) -> None:
    admin = {**world.token("admin"), "Content-Type": JSONAPI}
    base = "http://testserver/api/v1"
    new_token = {"data": {"type": "tokens", "attributes": {"label": "scripts"}}}
    created = world.client.post("/api/v1/tokens", json=new_token, headers=admin)
    assert created.status_code == 201, created.text
    token_id = created.json()["data"]["id"]
    assert created.headers["location"] == f"{base}/tokens/{token_id}"
    listed = world.client.get("/api/v1/tokens", headers=admin).json()
    assert listed["links"]["self"] == f"{base}/tokens"
    assert {t["links"]["self"] for t in listed["data"]} >= {f"{base}/tokens/{token_id}"}
    accounts = world.client.get("/api/v1/accounts", headers=admin).json()
    assert accounts["links"]["self"] == f"{base}/accounts"
    assert all(a["links"]["self"] == f"{base}/accounts/{a['id']}" for a in accounts["data"])
    signed_in = world.sign_in("viewer")
    assert signed_in.headers["location"] == f"{base}/session"
    assert signed_in.json()["data"]["links"]["self"] == f"{base}/session"

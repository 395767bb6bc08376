"""The session, account and token documents exactly as the service sends them, and each
refusal of a request document on these routes (status, code, title, detail, pointer).

The clock stands still (still_clock.py), so every moment in a document is known here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pytest

from tests.http.still_clock import JSONAPI, Desk, open_desk
from tests.signed_in import PASSWORD, bearer

VERSION: Final = {"version": "1.1"}


@pytest.fixture
def desk() -> Iterator[Desk]:
    with open_desk() as made:
        yield made


def sign_in_document(**attributes: object) -> dict[str, Any]:
    return {"data": {"type": "sessions", "attributes": attributes}}


# -- sessions -----------------------------------------------------------------------------


def session(username: str, role: str, expires_at: str | None) -> dict[str, Any]:
    return {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/session"},
        "data": {
            "type": "sessions",
            "id": "current",
            "attributes": {"username": username, "role": role, "expires_at": expires_at},
            "links": {"self": "http://testserver/api/v1/session"},
        },
    }


def test_signing_in_answers_the_session_document_exactly(desk: Desk) -> None:
    response = desk.client.post(
        "/api/v1/session", json=sign_in_document(username="editor", password=PASSWORD)
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "http://testserver/api/v1/session"
    # a session ends after twelve idle hours
    assert response.json() == session("editor", "editor", "2026-03-04T17:06:07Z")


def test_a_token_s_session_document_names_its_role_and_expiry(desk: Desk) -> None:
    headers = desk.token(2, "scripts", role="viewer", expires_in_days=2)
    response = desk.client.get("/api/v1/session", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == session("editor", "viewer", "2026-03-06T05:06:07Z")
    forever = desk.client.get("/api/v1/session", headers=desk.token(1, "no end"))
    assert forever.json() == session("viewer", "viewer", None)


# -- accounts -----------------------------------------------------------------------------


def account(account_id: int, name: str, role: str, enabled: bool = True) -> dict[str, Any]:
    return {
        "type": "accounts",
        "id": str(account_id),
        "attributes": {"name": name, "role": role, "enabled": enabled},
        "links": {"self": f"http://testserver/api/v1/accounts/{account_id}"},
    }


def test_the_account_list_is_exact(desk: Desk) -> None:
    response = desk.client.get("/api/v1/accounts", headers=desk.admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/accounts"},
        "meta": {"total": 3},
        "data": [  # by name
            account(3, "admin", "admin"),
            account(2, "editor", "editor"),
            account(1, "viewer", "viewer"),
        ],
    }


def test_one_account_created_read_and_changed_is_exact(desk: Desk) -> None:
    new = {"name": "Ops.Bot", "role": "editor", "password": PASSWORD}
    created = desk.send(
        "POST", "/api/v1/accounts", {"data": {"type": "accounts", "attributes": new}}
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "http://testserver/api/v1/accounts/4"
    single = {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/accounts/4"},
        "data": account(4, "Ops.Bot", "editor"),
    }
    assert created.json() == single
    assert desk.client.get("/api/v1/accounts/4", headers=desk.admin).json() == single
    change = {"data": {"type": "accounts", "id": "4", "attributes": {"enabled": False}}}
    changed = desk.send("PATCH", "/api/v1/accounts/4", change)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/accounts/4"},
        "data": account(4, "Ops.Bot", "editor", enabled=False),
    }


# -- tokens -------------------------------------------------------------------------------


def token(
    token_id: int, label: str, owner: str, role: str, expires_at: str | None
) -> dict[str, Any]:
    return {
        "type": "tokens",
        "id": str(token_id),
        "attributes": {
            "label": label,
            "account": owner,
            "role": role,
            "created_at": "2026-03-04T05:06:07Z",
            "expires_at": expires_at,
        },
        "links": {"self": f"http://testserver/api/v1/tokens/{token_id}"},
    }


def test_a_new_token_shows_its_secret_once_and_its_document_exactly(desk: Desk) -> None:
    new = {"label": "deploys", "role": "viewer", "expires_in_days": 30, "account": "editor"}
    created = desk.send("POST", "/api/v1/tokens", {"data": {"type": "tokens", "attributes": new}})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "http://testserver/api/v1/tokens/2"
    document = created.json()
    secret = document["data"]["attributes"].pop("secret")
    assert isinstance(secret, str) and len(secret) >= 43
    expected = token(2, "deploys", "editor", "viewer", "2026-04-03T05:06:07Z")
    assert document == {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/tokens/2"},
        "data": expected,
    }
    read = desk.client.get("/api/v1/tokens/2", headers=desk.admin)
    assert read.status_code == 200, read.text
    assert read.json() == {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/tokens/2"},
        "data": expected,
    }
    assert desk.client.get("/api/v1/session", headers=bearer(secret)).status_code == 200


def test_the_token_list_is_exact_and_holds_no_secret(desk: Desk) -> None:
    desk.token(1, "reports", expires_in_days=1)
    response = desk.client.get("/api/v1/tokens", headers=desk.admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "jsonapi": VERSION,
        "links": {"self": "http://testserver/api/v1/tokens"},
        "meta": {"total": 2},
        "data": [
            token(1, "admin's", "admin", "admin", None),
            token(2, "reports", "viewer", "viewer", "2026-03-05T05:06:07Z"),
        ],
    }


# -- refused request documents ------------------------------------------------------------


def refusal(response: Any, status: int, code: str, title: str, detail: str, pointer: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["errors"] == [
        {
            "status": str(status),
            "code": code,
            "title": title,
            "detail": detail,
            "source": {"pointer": pointer},
        }
    ]


@pytest.mark.parametrize(
    "document",
    [{"data": ["accounts"]}, {"data": None}, {"meta": {}}, {"data": "accounts"}],
)
def test_data_that_is_not_a_resource_object_is_refused(desk: Desk, document: object) -> None:
    refusal(
        desk.send("POST", "/api/v1/accounts", document),
        400,
        "invalid_data",
        "Invalid request document",
        "data must be a resource object",
        "/data",
    )


def test_a_resource_of_another_type_is_refused(desk: Desk) -> None:
    for document in (
        {"data": {"type": "users", "attributes": {}}},
        {"data": {"attributes": {"label": "x"}}},
    ):
        refusal(
            desk.send("POST", "/api/v1/tokens", document),
            409,
            "type_mismatch",
            "Conflict with this endpoint",
            "this endpoint takes resources of type 'tokens'",
            "/data/type",
        )


def test_an_id_in_a_new_resource_is_refused(desk: Desk) -> None:
    for value in ("4", None):
        document: dict[str, Any] = {"data": {"type": "accounts", "id": value, "attributes": {}}}
        refusal(
            desk.send("POST", "/api/v1/accounts", document),
            403,
            "client_generated_id",
            "Client-generated id not allowed",
            "this service assigns ids; omit data.id",
            "/data/id",
        )


def test_a_change_must_name_the_id_in_its_url(desk: Desk) -> None:
    for document in (
        {"data": {"type": "accounts", "id": "1", "attributes": {"role": "editor"}}},
        {"data": {"type": "accounts", "id": 2, "attributes": {"role": "editor"}}},
        {"data": {"type": "accounts", "attributes": {"role": "editor"}}},
    ):
        refusal(
            desk.send("PATCH", "/api/v1/accounts/2", document),
            409,
            "id_mismatch",
            "Conflict with this endpoint",
            "data.id must be '2', the id in the URL",
            "/data/id",
        )
    kept = desk.client.get("/api/v1/accounts/2", headers=desk.admin).json()["data"]
    assert kept == account(2, "editor", "editor")


def test_attributes_that_are_not_an_object_are_refused(desk: Desk) -> None:
    for value in (["name"], None, "name", 1):
        document = {"data": {"type": "accounts", "attributes": value}}
        refusal(
            desk.send("POST", "/api/v1/accounts", document),
            400,
            "invalid_document",
            "Invalid request document",
            "attributes must be an object",
            "/data/attributes",
        )


def test_a_document_without_attributes_is_read_as_no_attributes(desk: Desk) -> None:
    response = desk.client.post("/api/v1/session", json={"data": {"type": "sessions"}})
    assert response.status_code == 422, response.text
    assert [(e["code"], e["detail"]) for e in response.json()["errors"]] == [
        ("blank", "username must be given"),
        ("blank", "password must be given"),
    ]


def test_an_unknown_attribute_is_named_with_its_pointer_escaped(desk: Desk) -> None:
    attributes = {"label": "x", "zeta": 1, "a~b/c": 2, "b": 3}
    refusal(
        desk.send("POST", "/api/v1/tokens", {"data": {"type": "tokens", "attributes": attributes}}),
        400,
        "invalid_document",
        "Invalid request document",
        "unknown attribute 'a~b/c'",
        "/data/attributes/a~0b~1c",
    )
    document = {"data": {"type": "accounts", "id": "2", "attributes": {"name": "renamed"}}}
    refusal(
        desk.send("PATCH", "/api/v1/accounts/2", document),
        400,
        "invalid_document",
        "Invalid request document",
        "unknown attribute 'name'",
        "/data/attributes/name",
    )

"""Every account and credential error exactly as it goes out: the whole error document, the
challenge on a 401 and nowhere else, Retry-After on a 429 (auth_errors.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, Final

import pytest

from tests.http.still_clock import Desk, open_desk
from tests.signed_in import PASSWORD

CHALLENGE: Final = 'Bearer realm="users-service"'


@pytest.fixture
def desk() -> Iterator[Desk]:
    with open_desk() as made:
        yield made


def error_document(self_link: str, **error: object) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, "links": {"self": self_link}, "errors": [error]}


def refusal(status: str, code: str, title: str, detail: str, **extra: object) -> dict[str, Any]:
    return {"status": status, "code": code, "title": title, "detail": detail, **extra}


NOT_SIGNED_IN: Final = refusal(
    "401", "not_signed_in", "Not signed in", "sign in first, or send Authorization: Bearer TOKEN"
)
SIGN_IN_FAILED: Final = refusal(
    "401", "sign_in_failed", "Sign-in failed", "the username or password is wrong"
)


def _users(headers: dict[str, str]) -> Callable[[Desk], Any]:
    return lambda desk: desk.client.get("/api/v1/users?page[size]=2&sort=name", headers=headers)


def _sign_in(username: str, password: str) -> Callable[[Desk], Any]:
    return lambda desk: desk.sign_in(username, password)


LISTING: Final = "http://testserver/api/v1/users?page%5Bsize%5D=2&sort=name"
SESSION: Final = "http://testserver/api/v1/session"


@pytest.mark.parametrize(
    ("send", "self_link", "error"),
    [
        pytest.param(_users({}), LISTING, NOT_SIGNED_IN, id="no credentials"),
        pytest.param(
            _users({"Authorization": "Bearer unknown"}), LISTING, NOT_SIGNED_IN, id="unknown token"
        ),
        pytest.param(
            _users({"Authorization": "Basic eDp5"}), LISTING, NOT_SIGNED_IN, id="another scheme"
        ),
        pytest.param(
            _sign_in("editor", "wrong-password-1"), SESSION, SIGN_IN_FAILED, id="wrong password"
        ),
        pytest.param(_sign_in("nobody", PASSWORD), SESSION, SIGN_IN_FAILED, id="unknown name"),
    ],
)
def test_a_401_is_exact_and_says_how_to_sign_in(
    desk: Desk, send: Callable[[Desk], Any], self_link: str, error: dict[str, Any]
) -> None:
    response = send(desk)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == CHALLENGE
    assert "retry-after" not in response.headers
    assert response.json() == error_document(self_link, **error)


def _forbidden(desk: Desk) -> Any:
    return desk.client.get("/api/v1/accounts", headers=desk.token(2, "editor's"))


def _setup_code_not_text(desk: Desk) -> Any:
    return desk.sign_in("root", PASSWORD, setup_code=12345)


def _name_taken(desk: Desk) -> Any:
    new = {"name": "EDITOR", "role": "viewer", "password": PASSWORD}
    return desk.send("POST", "/api/v1/accounts", {"data": {"type": "accounts", "attributes": new}})


def _last_admin(desk: Desk) -> Any:
    change = {"data": {"type": "accounts", "id": "3", "attributes": {"role": "editor"}}}
    return desk.send("PATCH", "/api/v1/accounts/3", change)


@pytest.mark.parametrize(
    ("send", "self_link", "error"),
    [
        pytest.param(
            _forbidden,
            "http://testserver/api/v1/accounts",
            refusal("403", "forbidden", "Forbidden", "your role may not manage accounts"),
            id="a role that may not",
        ),
        pytest.param(
            _setup_code_not_text,
            SESSION,
            refusal(
                "403",
                "invalid_setup_code",
                "Invalid set-up link",
                "this set-up link is not valid (any more)",
            ),
            id="a set-up code that is not text",
        ),
        pytest.param(
            lambda desk: desk.client.get("/api/v1/accounts/99", headers=desk.admin),
            "http://testserver/api/v1/accounts/99",
            refusal("404", "not_found", "Not found", "no such account"),
            id="no such account",
        ),
        pytest.param(
            lambda desk: desk.client.get("/api/v1/tokens/99", headers=desk.admin),
            "http://testserver/api/v1/tokens/99",
            refusal("404", "not_found", "Not found", "no API token 99"),
            id="no such token",
        ),
        pytest.param(
            _name_taken,
            "http://testserver/api/v1/accounts",
            refusal(
                "409",
                "name_taken",
                "Name already taken",
                "an account with this name already exists",
                source={"pointer": "/data/attributes/name"},
            ),
            id="a taken name, pointed at",
        ),
        pytest.param(
            _last_admin,
            "http://testserver/api/v1/accounts/3",
            refusal(
                "409",
                "last_admin",
                "Last administrator",
                "the last enabled administrator cannot be disabled or demoted",
            ),
            id="the last administrator",
        ),
    ],
)
def test_a_signed_in_refusal_is_exact_and_neither_challenged_nor_delayed(
    desk: Desk, send: Callable[[Desk], Any], self_link: str, error: dict[str, Any]
) -> None:
    response = send(desk)
    assert response.status_code == int(error["status"]), response.text
    assert "www-authenticate" not in response.headers
    assert "retry-after" not in response.headers
    assert response.json() == error_document(self_link, **error)


def too_many(retry_after: int) -> dict[str, Any]:
    return error_document(
        "http://testserver/api/v1/session",
        status="429",
        code="too_many_attempts",
        title="Too many attempts",
        detail="too many failed sign-ins; try again later",
        meta={"retry_after": retry_after},
    )


@pytest.mark.parametrize(
    ("later", "seconds"),
    [
        (timedelta(0), 900),  # the whole window
        (timedelta(seconds=0.25), 900),  # 899.75 s, rounded up
        (timedelta(minutes=14, seconds=57.5), 3),  # 2.5 s
        (timedelta(minutes=14, seconds=59.5), 1),  # 0.5 s
    ],
)
def test_guessing_is_told_the_whole_seconds_to_wait(
    desk: Desk, later: timedelta, seconds: int
) -> None:
    for _ in range(5):
        assert desk.sign_in("editor", "wrong-password-1").status_code == 401
    desk.now[0] += later
    response = desk.sign_in("editor")
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(seconds)
    assert "www-authenticate" not in response.headers
    assert response.json() == too_many(seconds)

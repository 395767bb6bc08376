"""Hostile query strings over every adapter: crafted cursors, injection in every filter, sort,
fields and page parameter. Never a 5xx; a refusal is a 400 error document naming the
parameter; an injected filter value is inert (it matches only what it says, byte for byte)."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from tests.http.documents import JSONAPI, check_errors, new_user

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "1; SELECT pg_sleep(10)--",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    "name) OR 1=1 --",
    "users.id",
    "*",
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor(signature: str, *values: str) -> str:
    return _b64(f"v1|{signature}|{'.'.join(values)}".encode())


def text_value(raw: bytes) -> str:
    return "s" + _b64(raw)


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("id", ["i99999999999999999999999999"]),
        ("id", ["i-99999999999999999999999999"]),
        ("id", ["i9223372036854775807"]),
        ("-id", ["i-9223372036854775808"]),
        ("age,id", ["i99999999999999999999", "i1"]),
        ("name,id", [text_value(b"a\x00b"), "i1"]),
        ("-website,-id", [text_value(b"\x00"), "i5"]),
    ],
)
@pytest.mark.parametrize("direction", ["page[after]", "page[before]"])
def test_a_forged_cursor_with_values_no_user_can_have_is_a_400(
    any_client: TestClient, sort: str, values: list[str], direction: str
) -> None:
    # Regression: these reached the driver (SQLite: integer overflow; PostgreSQL: NUL in
    # a string literal) and came back as 500s.
    any_client.post("/api/v1/users", json=new_user(), headers={"Content-Type": JSONAPI})
    requested = sort.rsplit(",", 1)[0]  # the cursor's signature ends with the id tie-breaker
    params = {"sort": requested, direction: cursor(sort, *values)}
    [error] = check_errors(any_client.get("/api/v1/users", params=params), 400)
    assert error["source"] == {"parameter": direction}


def test_a_cursor_at_the_edge_of_real_ids_still_pages(any_client: TestClient) -> None:
    response = any_client.get(
        "/api/v1/users", params={"page[before]": cursor("id", f"i{2**63 - 2}")}
    )
    assert response.status_code == 200, response.text

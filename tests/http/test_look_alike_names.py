"""Names that look the same are one name on every database; names that can only deceive
are refused (issue 12 item 4)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.http.documents import JSONAPI, changes, check_errors, new_user

HEADERS = {"Content-Type": JSONAPI}

LOOK_ALIKES = [
    ("Zo\u00eb Bront\u00eb", "Zoe\u0308 Bronte\u0308"),  # composed, decomposed
    ("Ada Lovelace", "\uff21\uff44\uff41 \uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45"),
    ("Fiona Apple", "\ufb01ona apple"),
    ("Grace Hopper", "GRACE HOPPER"),
]


@pytest.mark.parametrize(("first", "second"), LOOK_ALIKES)
def test_a_look_alike_of_a_taken_name_is_a_409_on_create_and_rename(
    any_client: TestClient, first: str, second: str
) -> None:
    assert any_client.post("/api/v1/users", json=new_user(name=first), headers=HEADERS).is_success
    [error] = check_errors(
        any_client.post("/api/v1/users", json=new_user(name=second), headers=HEADERS), 409
    )
    assert error["code"] == "name_taken"
    other = any_client.post("/api/v1/users", json=new_user(name="Someone"), headers=HEADERS)
    user_id = other.json()["data"]["id"]
    renamed = any_client.patch(
        f"/api/v1/users/{user_id}", json=changes(user_id, name=second), headers=HEADERS
    )
    assert check_errors(renamed, 409)[0]["code"] == "name_taken"
    found = any_client.get("/api/v1/users", params={"filter[name]": second})
    assert [u["attributes"]["name"] for u in found.json()["data"]] == [first]


def test_a_name_is_stored_composed(any_client: TestClient) -> None:
    created = any_client.post(
        "/api/v1/users", json=new_user(name="Zoe\u0308"), headers=HEADERS
    ).json()
    assert created["data"]["attributes"]["name"] == "Zo\u00eb"


@pytest.mark.parametrize(
    "name",
    [
        "Ada\u200bLovelace",
        "Ada\u200dLovelace",
        "Ada\u00adLovelace",
        "\ufeffAda Lovelace",
        "Ada Lovelace\U000e0041",
        "Ada\ufe0f Lovelace",
        "\u202eecalevoL adA",
        "Ada \u2066Lovelace\u2069",
        "\u200b\u200b",
        "\u0301",
    ],
)
def test_a_name_that_can_only_deceive_is_a_422_and_stores_nothing(
    any_client: TestClient, name: str
) -> None:
    [error] = check_errors(
        any_client.post("/api/v1/users", json=new_user(name=name), headers=HEADERS), 422
    )
    assert error["source"] == {"pointer": "/data/attributes/name"}
    assert any_client.get("/api/v1/users").json()["meta"]["total"] == 0

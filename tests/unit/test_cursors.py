"""Page cursors: the documented format (base64url of `v1|<signature>|<typed values>`), built
here by hand, and every kind of cursor this service did not issue refused with its reason."""

from __future__ import annotations

import base64

import pytest

from domain.cursors import decode_cursor, encode_cursor, including
from domain.errors import (
    DuplicateNameError,
    InvalidCursorError,
    InvalidQueryError,
    StaleVersionError,
    UserNotFoundError,
)
from domain.queries import SortKey, SortOrder

NAME = SortOrder.parse("name")  # name,id
AGE_DESC = SortOrder.parse("-age")  # -age,-id
NOT_ISSUED = "the cursor is not one this service issued"


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def forged(signature: str, values: str, version: str = "v1") -> str:
    return b64(f"{version}|{signature}|{values}")


def test_a_cursor_is_base64url_of_version_signature_and_typed_values() -> None:
    assert encode_cursor(NAME, ("ada", 7)) == forged("name,id", f"s{b64('ada')}.i7")
    assert encode_cursor(AGE_DESC, (36, 2)) == forged("-age,-id", "i36.i2")
    assert encode_cursor(NAME, ("ab", 1)) == forged("name,id", "sYWI.i1")  # no padding inside
    assert encode_cursor(NAME, ("abW", 1)) == forged("name,id", "sYWJX.i1")  # nor only "="s
    assert "=" not in encode_cursor(NAME, ("ab", 1))  # nor outside


@pytest.mark.parametrize(
    ("order", "key"),
    [
        (NAME, ("ada", 7)),
        (NAME, ("straße ω 😀 | . = /", 1)),
        (AGE_DESC, (0, 9_223_372_036_854_775_806)),
        (AGE_DESC, (-9_223_372_036_854_775_806, 1)),
        (SortOrder.parse("id"), (5,)),
    ],
)
def test_a_cursor_decodes_to_the_key_it_was_made_from(order: SortOrder, key: tuple) -> None:
    assert decode_cursor(order, encode_cursor(order, key)) == key


@pytest.mark.parametrize(
    ("cursor", "reason"),
    [
        (forged("name,id", "sYWRh.i7", version="v2"), NOT_ISSUED),
        (forged("-name,id", "sYWRh.i7"), "the cursor was issued for another sort order"),
        (forged("name", "sYWRh"), "the cursor was issued for another sort order"),
        (forged("name,id", "i1.i7"), NOT_ISSUED),  # a number where a name goes
        (forged("name,id", "sYWRh.sNw"), NOT_ISSUED),  # text where an id goes
        (forged("name,id", "sYWRh"), NOT_ISSUED),  # a value short
        (forged("name,id", "sYWRh.i7.i8"), NOT_ISSUED),  # a value over
        (forged("name,id", "sYWRh.i9223372036854775807"), NOT_ISSUED),  # past 2**63 - 2
        (forged("name,id", "sYWRh.i-9223372036854775807"), NOT_ISSUED),
        (forged("name,id", f"s{b64('a' + chr(0))}.i7"), NOT_ISSUED),  # NUL in text
        (forged("name,id", "xYWRh.i7"), NOT_ISSUED),  # an unknown kind of value
        (forged("name,id", "sYWRh.iseven"), NOT_ISSUED),
        (b64("v1|name,id"), NOT_ISSUED),  # a part missing
        (b64("v1|name,id|sYWRh.i7|x"), NOT_ISSUED),  # a part over
        ("!!!!", NOT_ISSUED),  # not base64
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), NOT_ISSUED),  # not UTF-8
    ],
)
def test_a_cursor_this_service_did_not_issue_is_refused(cursor: str, reason: str) -> None:
    with pytest.raises(InvalidCursorError) as raised:
        decode_cursor(NAME, cursor)
    assert raised.value.reason == reason == str(raised.value)


def test_the_largest_storable_integers_are_accepted() -> None:
    for value in ("i9223372036854775806", "i-9223372036854775806"):
        assert decode_cursor(NAME, forged("name,id", f"sYWRh.{value}"))[1] == int(value[1:])


@pytest.mark.parametrize(
    ("sort", "forward", "expected_id"),
    [("name", True, 6), ("name", False, 8), ("-name", True, 8), ("-name", False, 6)],
)
def test_including_moves_the_id_one_step_against_the_probe(
    sort: str, forward: bool, expected_id: int
) -> None:
    assert including(SortOrder.parse(sort), ("ada", 7), probing_forward=forward) == (
        "ada",
        expected_id,
    )


def test_sort_keys_and_orders_print_as_the_sort_parameter() -> None:
    assert (str(SortKey("name")), str(SortKey("age", descending=True))) == ("name", "-age")
    assert SortOrder.parse("-age,name").signature == "-age,name,id"
    assert SortOrder.parse("id,name").signature == "id"


def test_domain_errors_carry_what_the_http_layer_reports() -> None:
    missing = UserNotFoundError(5)
    assert (missing.user_id, str(missing)) == (5, "user 5 does not exist")
    stale = StaleVersionError(5, 2)
    assert (stale.user_id, stale.expected_version) == (5, 2)
    assert str(stale) == "user 5 is no longer at version 2"
    duplicate = DuplicateNameError("Ada")
    assert (duplicate.name, str(duplicate)) == ("Ada", "a user with this name already exists")
    query = InvalidQueryError("sort", "cannot sort by 'x'")
    assert (query.parameter, query.detail, str(query)) == (
        "sort",
        "cannot sort by 'x'",
        "cannot sort by 'x'",
    )

"""The account fields' rules, each refusal with its field, code and detail, and the limits
pinned on both sides: account names (1 to 64 letters, digits, '.', '_', '@', '-', starting
with a letter or digit), token labels (1 to 100 printable characters), token lifetimes (1 to
3650 days, or none); roles by their names; what each account error says (the API shows it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.accounts import (
    AccountNameTakenError,
    AccountValidationError,
    LastAdminError,
    Role,
    SetupCodeError,
    SignInFailedError,
    TokenNotFoundError,
    TooManyAttemptsError,
    validate_account_name,
    validate_expires_in_days,
    validate_token_label,
)
from domain.errors import FieldError

NAME_BLANK = FieldError("name", "blank", "name must not be blank")
NAME_INVALID = FieldError(
    "name",
    "invalid_account_name",
    "name must be 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
)
LABEL_BLANK = FieldError("label", "blank", "label must not be blank")
LABEL_INVALID = FieldError(
    "label", "invalid_label", "label must be at most 100 printable characters"
)
DAYS_INVALID = FieldError(
    "expires_in_days", "out_of_range", "expires_in_days must be a whole number from 1 to 3650"
)


def _refusal(rule: Callable[[object], object], value: object) -> list[FieldError]:
    with pytest.raises(AccountValidationError) as raised:
        rule(value)
    return list(raised.value.errors)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("a", "a"),
        ("  ada.lovelace@example-1_2  ", "ada.lovelace@example-1_2"),
        ("9" * 64, "9" * 64),
        ("Z-", "Z-"),
    ],
)
def test_account_names_accepted_are_stored_trimmed(value: str, stored: str) -> None:
    assert validate_account_name(value) == stored


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (None, NAME_BLANK),
        (42, NAME_BLANK),
        ("", NAME_BLANK),
        (" \t ", NAME_BLANK),
        ("a" * 65, NAME_INVALID),
        ("-ada", NAME_INVALID),
        (".ada", NAME_INVALID),
        ("ada lovelace", NAME_INVALID),
        ("ada!", NAME_INVALID),
        ("adé", NAME_INVALID),
    ],
)
def test_account_names_refused_say_why(value: object, error: FieldError) -> None:
    assert _refusal(validate_account_name, value) == [error]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("x", "x"),
        ("  laptop backup  ", "laptop backup"),
        ("é" * 100, "é" * 100),
        ("~ tilde, and DEL's neighbour \x7e", "~ tilde, and DEL's neighbour \x7e"),
        (" \x20space\x20", "space"),
    ],
)
def test_token_labels_accepted_are_stored_trimmed(value: str, stored: str) -> None:
    assert validate_token_label(value) == stored


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (None, LABEL_BLANK),
        (7, LABEL_BLANK),
        ("", LABEL_BLANK),
        ("  \n ", LABEL_BLANK),
        ("x" * 101, LABEL_INVALID),
        ("a\x00b", LABEL_INVALID),
        ("a\x1fb", LABEL_INVALID),
        ("a\x7fb", LABEL_INVALID),
        ("a\tb", LABEL_INVALID),
    ],
)
def test_token_labels_refused_say_why(value: object, error: FieldError) -> None:
    assert _refusal(validate_token_label, value) == [error]


@pytest.mark.parametrize("days", [None, 1, 2, 3649, 3650])
def test_token_lifetimes_accepted(days: int | None) -> None:
    assert validate_expires_in_days(days) == days


@pytest.mark.parametrize("days", [0, -1, 3651, True, False, 1.0, "30", []])
def test_token_lifetimes_refused_say_why(days: object) -> None:
    assert _refusal(validate_expires_in_days, days) == [DAYS_INVALID]


@pytest.mark.parametrize("name", ["viewer", "editor", "admin"])
def test_a_role_is_read_from_its_name(name: str) -> None:
    assert Role.parse(name).value == name


@pytest.mark.parametrize("value", ["Admin", "owner", "", None, 1])
def test_anything_else_is_an_unknown_role_of_the_field_named(value: object) -> None:
    with pytest.raises(AccountValidationError) as raised:
        Role.parse(value, field="act_as")
    assert list(raised.value.errors) == [
        FieldError("act_as", "unknown_role", "act_as must be one of viewer, editor, admin")
    ]
    assert _refusal(Role.parse, value) == [
        FieldError("role", "unknown_role", "role must be one of viewer, editor, admin")
    ]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (lambda: AccountNameTakenError("ada"), "an account with this name already exists"),
        (lambda: TokenNotFoundError(7), "no API token 7"),
        (LastAdminError, "the last enabled administrator cannot be disabled or demoted"),
        (SignInFailedError, "the username or password is wrong"),
        (
            lambda: TooManyAttemptsError(timedelta(seconds=9)),
            "too many failed sign-ins; try again later",
        ),
        (SetupCodeError, "this set-up link is not valid (any more)"),
    ],
)
def test_each_account_error_says_what_happened(
    error: Callable[[], Exception], message: str
) -> None:
    # Built here, not in the parameters: a mutation run must see the constructor run in the test.
    raised = error()
    assert str(raised) == message
    assert raised.args == (message,)


def test_account_errors_keep_what_they_are_about() -> None:
    assert AccountNameTakenError("ada").name == "ada"
    assert TokenNotFoundError(7).token_id == 7
    assert TooManyAttemptsError(timedelta(seconds=9)).retry_after == timedelta(seconds=9)

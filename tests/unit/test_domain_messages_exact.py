"""Domain rules whose exact outcome only the HTTP tests saw: pinned here, on the domain alone."""

from __future__ import annotations

import pytest

from domain.accounts import AccountNotFoundError
from domain.errors import FieldError, UserValidationError
from domain.policy import ForbiddenError, Permission
from domain.validation import validate_new_user
from tests.support.users import user_attributes


def test_the_forbidden_and_not_found_errors_say_what_happened() -> None:
    refused = ForbiddenError(Permission.CHANGE_USERS)
    assert str(refused) == "your role may not create, change, delete and restore users"
    assert str(AccountNotFoundError("grace")) == "no account grace"


@pytest.mark.parametrize("website", ["http://", "https://", "http:///path"])
def test_a_website_without_a_host_is_refused(website: str) -> None:
    with pytest.raises(UserValidationError) as refused:
        validate_new_user(user_attributes(website=website))
    assert refused.value.errors == (
        FieldError("website", "invalid_url", "website must be an absolute URL with a host"),
    )


def test_an_unknown_attribute_first_does_not_stop_the_others_being_checked() -> None:
    attributes = {"nickname": "Gracie", **user_attributes(age=-1)}
    with pytest.raises(UserValidationError) as refused:
        validate_new_user(attributes)
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("nickname", "unknown_attribute"),
        ("age", "out_of_range"),
    ]

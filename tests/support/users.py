"""The one place tests spell out a user's attributes: a new attribute is added here only."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "name": "Ada Lovelace",
    "address": "12 St James's Square, London",
    "age": 36,
    "profession": "mathematician",
    "website": "https://ada.example",
}


def user_attributes(**changes: Any) -> dict[str, Any]:
    """A valid user's attributes with `changes` applied; a change to `...` leaves it out."""
    values = {**DEFAULTS, **changes}
    return {key: value for key, value in values.items() if value is not ...}


def new_user_document(**changes: Any) -> dict[str, Any]:
    """A JSON:API document that creates such a user."""
    return {"data": {"type": "users", "attributes": user_attributes(**changes)}}

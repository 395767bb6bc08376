"""check_name pinned exactly: the stored form of each name, and each refusal's code and
detail as the API shows them, at the length bound before and after composing."""

from __future__ import annotations

import pytest

from domain.errors import FieldError, UserValidationError
from domain.validation import check_name, validate_changes


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Ada", "Ada"),
        ("  Ada Lovelace ", "Ada Lovelace"),
        ("Zoe\u0308", "Zo\u00eb"),  # composed
        (" Zoe\u0308 ", "Zo\u00eb"),
        ("\u00e9", "\u00e9"),  # a letter
        ("\u0663", "\u0663"),  # a number (Arabic-Indic three)
        ("\u00a1", "\u00a1"),  # punctuation
        ("\u20ac", "\u20ac"),  # a symbol
        ("\u0301a", "\u0301a"),  # a mark beside a letter
        ("x" * 250, "x" * 250),
        ("\u0958" * 125, "\u0915\u093c" * 125),  # NFC decomposes QA: 250 characters
    ],
)
def test_a_name_is_stored_trimmed_and_composed(name: str, stored: str) -> None:
    assert check_name(name) == stored


@pytest.mark.parametrize(
    ("name", "code", "detail"),
    [
        ("x" * 251, "too_long", "name must be at most 250 characters, got 251"),
        ("\u0958" * 126, "too_long", "name must be at most 250 characters"),
        (
            "Ada\u200bLovelace",
            "invisible_character",
            "name must not contain invisible or text-direction characters (found U+200B)",
        ),
        (
            "a\u200c\u200b",
            "invisible_character",
            "name must not contain invisible or text-direction characters (found U+200C)",
        ),
        (
            "Ad\u00ada",
            "invisible_character",
            "name must not contain invisible or text-direction characters (found U+00AD)",
        ),
        (
            "A\U000e0041",
            "invisible_character",
            "name must not contain invisible or text-direction characters (found U+E0041)",
        ),
        ("\u0301", "no_visible_character", "name must contain a visible character"),
        ("\u0301 \u0302", "no_visible_character", "name must contain a visible character"),
        ("   ", "blank", "name must not be empty"),
        (7, "not_a_string", "name must be a string, got the number 7"),
    ],
)
def test_a_refused_name_says_why(name: object, code: str, detail: str) -> None:
    with pytest.raises(UserValidationError) as refused:
        validate_changes({"name": name})
    assert refused.value.errors == (FieldError("name", code, detail),)

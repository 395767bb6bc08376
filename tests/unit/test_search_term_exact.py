"""The search term's bound and its folding, pinned with the values the API shows."""

from __future__ import annotations

import pytest

from domain.errors import InvalidQueryError
from domain.model import comparison_key
from domain.queries import UserFilter


def test_a_search_term_of_2000_characters_is_taken_and_one_of_2001_refused() -> None:
    assert UserFilter.build(search="a" * 2000).search == "a" * 2000
    with pytest.raises(InvalidQueryError) as refused:
        UserFilter.build(search="a" * 2001)
    assert refused.value.parameter == "filter[search]"
    assert refused.value.detail == (
        "filter[search] must be at most 2000 characters, the most an attribute holds; got 2001"
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ada\u00adLovelace", "adalovelace"),  # soft hyphen
        ("A\u200bda", "ada"),  # zero-width space
        ("\ufeffAda", "ada"),  # byte order mark
        ("ADA", "ada"),
    ],
)
def test_the_comparison_key_drops_invisible_characters_and_folds_case(text: str, key: str) -> None:
    assert comparison_key(text) == key

"""A small, test-local model of how a list of users is filtered and ordered, written from the
README's rules and not from the production code, so tests compare adapters against it.

Rows are plain mappings with "id" and the user's attributes. Strings compare by their
NFKC_Casefold form without invisible characters (`fold`, docs/reliability.md's rule), code
point by code point; id breaks ties in the direction of the last key.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]
Keys = list[tuple[str, bool]]  # (field, descending)
STRINGS = ("name", "address", "profession", "website")

#: Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), written out here.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def fold(text: str) -> str:
    """Texts that look the same fold alike: NFKC of the casefolded NFKC form, invisible
    characters dropped (before and after, as folding can produce them)."""
    text = _INVISIBLE.sub("", text)
    return _INVISIBLE.sub(
        "", unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    )


def parse_sort(sort: str) -> Keys:
    """`"-age,name"` into keys, completed with the id tie-breaker."""
    keys: Keys = []
    for part in sort.split(","):
        field, descending = part.lstrip("-"), part.startswith("-")
        if field not in (f for f, _ in keys):
            keys.append((field, descending))
        if field == "id":
            return keys
    return [*keys, ("id", keys[-1][1])]


def key_of(row: Row, keys: Keys) -> tuple[Any, ...]:
    return tuple(fold(row[f]) if f in STRINGS else row[f] for f, _ in keys)


def _compare(a: tuple[Any, ...], b: tuple[Any, ...], keys: Keys) -> int:
    for x, y, (_, descending) in zip(a, b, keys, strict=True):
        if x != y:
            return (1 if x > y else -1) * (-1 if descending else 1)
    return 0


def ordered(rows: Sequence[Row], keys: Keys) -> list[Row]:
    by = functools.cmp_to_key(lambda a, b: _compare(key_of(a, keys), key_of(b, keys), keys))
    return sorted(rows, key=by)


def beyond(
    rows: Sequence[Row], keys: Keys, boundary: tuple[Any, ...], *, backward: bool = False
) -> list[Row]:
    """The rows strictly after `boundary` in the order (before it, nearest first, if backward)."""
    sign = -1 if backward else 1
    found = [r for r in ordered(rows, keys) if _compare(key_of(r, keys), boundary, keys) == sign]
    return found[::-1] if backward else found


def matches(row: Row, filters: Mapping[str, Any]) -> bool:
    """`filters` as a client sends them: exact={attribute: value}, age, age_min, age_max, search."""
    for attribute, value in filters.get("exact", {}).items():
        if fold(row[attribute]) != fold(value.replace("\r\n", "\n")):
            return False
    age = row["age"]
    if filters.get("age") is not None and age != filters["age"]:
        return False
    if filters.get("age_min") is not None and age < filters["age_min"]:
        return False
    if filters.get("age_max") is not None and age > filters["age_max"]:
        return False
    term = filters.get("search")
    if term is None:
        return True
    return any(fold(term.replace("\r\n", "\n")) in fold(row[a]) for a in STRINGS)

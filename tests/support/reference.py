"""A small, test-local model of how a list of users is filtered and ordered, written from the
README's rules and not from the production code, so tests compare adapters against it.

Rows are plain mappings with "id" and the user's attributes. Strings compare by their
casefolded form, code point by code point; id breaks ties in the direction of the last key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]
Keys = list[tuple[str, bool]]  # (field, descending)
STRINGS = ("name", "address", "profession", "website")


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
    return tuple(row[f].casefold() if f in STRINGS else row[f] for f, _ in keys)


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
        if row[attribute].casefold() != value.replace("\r\n", "\n").casefold():
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
    return any(term.replace("\r\n", "\n").casefold() in row[a].casefold() for a in STRINGS)

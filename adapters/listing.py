"""How a list query becomes SQL: filter conditions, ORDER BY and keyset conditions.

The reference semantics are UserFilter.matches and SortOrder.key_values; the contract
suite compares this module's results with the in-memory adapter's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, tuple_
from sqlalchemy.sql.elements import UnaryExpression

from adapters.search import search_condition
from adapters.tables import ADDRESS_PREFIX_LENGTH, users
from domain.cursors import Key
from domain.queries import SortOrder, UserFilter

#: The one sort column whose values are unique (tables.py: the name key's constraint).
UNIQUE_SORT_COLUMN = users.c.name_key


def key_column(attribute: str) -> ColumnElement[str]:
    """The folded column an exact filter or sort on a string attribute uses."""
    return users.c[f"{attribute}_key"]


def address_prefix(folded: str) -> str:
    return folded[:ADDRESS_PREFIX_LENGTH]


def conditions(
    selection: UserFilter, dialect: str, *, common_term: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE conditions, one per constraint of `selection`, on the `dialect` database;
    `common_term`: the search term matches many users (adapters/search.py)."""
    where: list[ColumnElement[bool]] = []
    for attribute, folded in selection.exact:
        where.append(key_column(attribute) == folded)
        if attribute == "address":  # lets the equality use the prefix index
            where.append(users.c.address_prefix == address_prefix(folded))
    if selection.age is not None:
        where.append(users.c.age == selection.age)
    if selection.age_min is not None:
        where.append(users.c.age >= selection.age_min)
    if selection.age_max is not None:
        where.append(users.c.age <= selection.age_max)
    if selection.search is not None:
        where.append(search_condition(selection.search, dialect, common=common_term))
    return where


def _columns(attribute: str) -> list[ColumnElement[Any]]:
    if attribute in ("id", "age"):
        return [users.c[attribute]]
    if attribute == "address":
        # The prefix is monotone in the key, so (prefix, key) sorts exactly as key does,
        # and the prefix index can serve the sort.
        return [users.c.address_prefix, users.c.address_key]
    return [key_column(attribute)]


def _values(attribute: str, value: str | int) -> list[str | int]:
    if attribute == "address" and isinstance(value, str):
        return [address_prefix(value), value]
    return [value]


def _terms(order: SortOrder, backward: bool) -> list[tuple[ColumnElement[Any], bool]]:
    """(column, descending) pairs in the direction of travel."""
    return [
        (column, key.descending != backward) for key in order.keys for column in _columns(key.field)
    ]


def order_by(order: SortOrder, backward: bool) -> list[UnaryExpression[Any]]:
    """ORDER BY the sort's columns up to the first unique one: the name key is unique, so
    `name_key, id` orders as `name_key` alone does, and the unique index on the name key
    (with id included) serves it; no second index on (name_key, id) is kept. The keyset
    condition (`beyond`) still compares every column, so its meaning does not change."""
    terms: list[UnaryExpression[Any]] = []
    for column, descending in _terms(order, backward):
        terms.append(column.desc() if descending else column.asc())
        if column is UNIQUE_SORT_COLUMN:
            break
    return terms


def beyond(order: SortOrder, boundary: Key, backward: bool) -> ColumnElement[bool]:
    """Rows strictly after `boundary` in the direction of travel."""
    return _beyond(_terms(order, backward), edge_values(order, boundary))


def edge_values(order: SortOrder, boundary: Key) -> list[str | int]:
    """The values `beyond` compares the sort columns with, in column order."""
    return [
        v
        for key, value in zip(order.keys, boundary, strict=True)
        for v in _values(key.field, value)
    ]


def _beyond(
    terms: list[tuple[ColumnElement[Any], bool]], values: Sequence[Any]
) -> ColumnElement[bool]:
    directions = {descending for _, descending in terms}
    if len(directions) == 1:
        # One direction for all: a row-value comparison, which an index can serve.
        row = tuple_(*(column for column, _ in terms))
        edge = tuple_(*values)
        return row < edge if directions == {True} else row > edge
    return _expanded(terms, values)


def _expanded(
    terms: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any]
) -> ColumnElement[bool]:
    """(a > x) OR (a = x AND b < y) OR ... for keys sorted in mixed directions."""
    alternatives: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for (column, descending), value in zip(terms, values, strict=True):
        step = column < value if descending else column > value
        alternatives.append(and_(*equal_so_far, step) if equal_so_far else step)
        equal_so_far.append(column == value)
    # Implied by every alternative; lets an index on the first key bound the scan.
    first, descending = terms[0]
    bound = first <= values[0] if descending else first >= values[0]
    return and_(bound, or_(alternatives[0], *alternatives[1:]))

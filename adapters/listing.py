"""How a list query becomes SQL: filter conditions, ORDER BY and keyset conditions.

The reference semantics are UserFilter.matches and SortOrder.key_values; the contract
suite compares this module's results with the in-memory adapter's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, tuple_
from sqlalchemy.sql.elements import UnaryExpression

from adapters.search import LIKE_ESCAPE, search_shape, substring_condition, trigram_phrase
from adapters.tables import ADDRESS_PREFIX_LENGTH, user_search_keys, users
from domain.cursors import Key
from domain.queries import SortOrder, UserFilter

_LIKE_ESCAPE = LIKE_ESCAPE


#: The one sort column whose values are unique (tables.py: the name key's constraint).
UNIQUE_SORT_COLUMN = users.c.name_key


def key_column(attribute: str) -> ColumnElement[str]:
    """The folded column an exact filter or sort on a string attribute uses."""
    return users.c[f"{attribute}_key"]


def address_prefix(folded: str) -> str:
    return folded[:ADDRESS_PREFIX_LENGTH]


#: Stands for a value in a condition: the value itself, or a named bound parameter.
Value = Callable[[str, Any], Any]


def _literal(_name: str, value: Any) -> Any:
    return value


def _bound(name: str, _value: Any) -> Any:
    return bindparam(name)


def conditions(selection: UserFilter, *, bound: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE conditions, one per constraint of `selection`.

    With `bound`, values are bound parameters named as in `parameters(selection)`, so the
    conditions depend only on `shape(selection)` and a statement built from them can be kept
    and reused for any filter of that shape.
    """
    value: Value = _bound if bound else _literal
    where: list[ColumnElement[bool]] = []
    for attribute, folded in selection.exact:
        where.append(key_column(attribute) == value(f"exact_{attribute}", folded))
        if attribute == "address":  # lets the equality use the prefix index
            prefix = value("exact_address_prefix", address_prefix(folded))
            where.append(users.c.address_prefix == prefix)
    if selection.age is not None:
        where.append(users.c.age == value("age", selection.age))
    if selection.age_min is not None:
        where.append(users.c.age >= value("age_min", selection.age_min))
    if selection.age_max is not None:
        where.append(users.c.age <= value("age_max", selection.age_max))
    if selection.search is not None:
        # Keys and term are both folded, so SQLite's ASCII-only case-insensitive LIKE and
        # PostgreSQL's case-sensitive LIKE agree. psycopg2 binds parameters client-side, so
        # PostgreSQL plans with the pattern as a constant and can use the trigram index.
        # On SQLite, terms of 3+ characters use the trigram index instead (adapters/search.py).
        pattern = value("search", _pattern(selection.search))
        like = users.c.id.in_(
            select(user_search_keys.c.user_id).where(
                user_search_keys.c.search_key.like(pattern, escape=_LIKE_ESCAPE)
            )
        )
        phrase = value("search_phrase", trigram_phrase(selection.search))
        where.append(substring_condition(selection.search, like, phrase, pattern))
    return where


def _pattern(search: str) -> str:
    return f"%{escape_like(search)}%"


def parameters(selection: UserFilter) -> dict[str, Any]:
    """The bound values of `conditions(selection, bound=True)`."""
    values: dict[str, Any] = {}
    for attribute, folded in selection.exact:
        values[f"exact_{attribute}"] = folded
        if attribute == "address":
            values["exact_address_prefix"] = address_prefix(folded)
    if selection.age is not None:
        values["age"] = selection.age
    if selection.age_min is not None:
        values["age_min"] = selection.age_min
    if selection.age_max is not None:
        values["age_max"] = selection.age_max
    if selection.search is not None:
        values["search"] = _pattern(selection.search)
        values["search_phrase"] = trigram_phrase(selection.search)
    return values


def shape(selection: UserFilter) -> UserFilter:
    """Which constraints `selection` has, every value replaced by the same placeholder: the
    key under which a statement built with `conditions(..., bound=True)` can be kept."""
    return UserFilter(
        exact=tuple((attribute, "") for attribute, _ in selection.exact),
        age=None if selection.age is None else 0,
        age_min=None if selection.age_min is None else 0,
        age_max=None if selection.age_max is None else 0,
        search=None if selection.search is None else search_shape(selection.search),
    )


def escape_like(term: str) -> str:
    return (
        term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )


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


def edge_name(position: int) -> str:
    return f"edge_{position}"


def bound_beyond(order: SortOrder, backward: bool) -> ColumnElement[bool]:
    """`beyond` with the boundary's values as parameters named edge_name(0), edge_name(1)..."""
    terms = _terms(order, backward)
    # Typed as their columns: inside a row value they would stay untyped, and a prepared
    # statement (adapters.compiled) declares integer parameters bigint from these types.
    edges = [bindparam(edge_name(i), type_=column.type) for i, (column, _) in enumerate(terms)]
    return _beyond(terms, edges)


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

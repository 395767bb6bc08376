"""Query strings: from raw `(name, value)` pairs to domain query objects, strictly.

JSON:API reserves all-lowercase parameter names, so an unknown one is a 400; names holding
another character are implementation-specific and ignored. Page values follow the cursor
pagination profile: a positive base-10 integer (`^[0-9]+$`), at most MAX_PAGE_SIZE.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from attrs import frozen

from domain.history_use_cases import Window
from domain.model import ATTRIBUTES, STRING_ATTRIBUTES
from domain.queries import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CursorPage,
    NumberPage,
    SortOrder,
    UserFilter,
    UserQuery,
)
from entrypoints.http.errors import invalid_parameter
from entrypoints.http.jsonapi import CURSOR_ERROR_TYPE, RELATIONSHIPS, RESOURCE_TYPE, Fields

Params = Sequence[tuple[str, str]]

MAX_SIZE_EXCEEDED_TYPE: Final = CURSOR_ERROR_TYPE + "max-size-exceeded"
RANGE_NOT_SUPPORTED_TYPE: Final = CURSOR_ERROR_TYPE + "range-pagination-not-supported"

_DIGITS: Final = re.compile(r"[0-9]{1,12}")
_INTEGER: Final = re.compile(r"-?[0-9]{1,9}")
_LOWERCASE: Final = re.compile(r"[a-z]+")
_PAGE_PARAMETERS: Final = frozenset({"page[number]", "page[size]", "page[after]", "page[before]"})
_FILTER_PARAMETERS: Final = frozenset(
    {*(f"filter[{name}]" for name in STRING_ATTRIBUTES), "filter[search]", "filter[age]"}
    | {"filter[age][gte]", "filter[age][lte]"}
)
_FIELDS_PARAMETER: Final = f"fields[{RESOURCE_TYPE}]"
_RESERVED_FAMILIES: Final = ("page[", "filter[", "fields[")
_LIST_PARAMETERS: Final = _PAGE_PARAMETERS | _FILTER_PARAMETERS | {"sort", _FIELDS_PARAMETER}


@frozen
class ListRequest:
    query: UserQuery
    fields: Fields
    #: The parameters that are not about paging, kept in the pagination links.
    kept: tuple[tuple[str, str], ...]

    @property
    def cursor_mode(self) -> bool:
        return isinstance(self.query.page, CursorPage)


def _single_values(params: Params, allowed: frozenset[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in params:
        if name == "include":
            raise invalid_parameter(
                "include",
                "related resources are not included; follow a relationship's related link",
            )
        if name not in allowed:
            if _LOWERCASE.fullmatch(name) or name.startswith(_RESERVED_FAMILIES):
                raise invalid_parameter(name, f"unknown query parameter {name!r}")
            continue  # implementation-specific (holds a non a-z character): ignored
        if name in values:
            raise invalid_parameter(name, f"{name} may be given only once")
        values[name] = value
    return values


def parse_fields(value: str | None) -> Fields:
    """`fields[users]=name,age,history`; an empty value selects no fields."""
    if value is None:
        return None
    names = frozenset(name for name in value.split(",") if name)
    unknown = sorted(names - set(ATTRIBUTES) - set(RELATIONSHIPS))
    if unknown:
        raise invalid_parameter(_FIELDS_PARAMETER, f"users have no field {unknown[0]!r} to select")
    return names


def parse_item_query(params: Params) -> Fields:
    """The query of a single-user request: only `fields[users]`. Raises RequestError."""
    if not params:
        return None
    values = _single_values(params, frozenset({_FIELDS_PARAMETER}))
    return parse_fields(values.get(_FIELDS_PARAMETER))


def _positive(name: str, value: str) -> int:
    if not _DIGITS.fullmatch(value) or int(value) < 1:
        raise invalid_parameter(name, f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _page_size(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not _DIGITS.fullmatch(value) or int(value) < 1:
        raise invalid_parameter(
            "page[size]", f"page[size] must be a positive whole number, got {value!r}"
        )
    size = int(value)
    if size > MAX_PAGE_SIZE:
        raise invalid_parameter(
            "page[size]",
            f"page[size] may be at most {MAX_PAGE_SIZE}, got {size}",
            meta={"page": {"maxSize": MAX_PAGE_SIZE}},
            type_link=MAX_SIZE_EXCEEDED_TYPE,
        )
    return size


def _age(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not _INTEGER.fullmatch(value):
        raise invalid_parameter(name, f"{name} must be a whole number, got {value!r}")
    return int(value)


def _page(values: dict[str, str]) -> NumberPage | CursorPage:
    size = _page_size(values.get("page[size]"))
    after, before = values.get("page[after]"), values.get("page[before]")
    number = values.get("page[number]")
    if number is not None:
        if after is not None or before is not None:
            cursor = "page[after]" if after is not None else "page[before]"
            raise invalid_parameter(cursor, f"{cursor} cannot be combined with page[number]")
        # Any positive number parses; the use case refuses one beyond the paging window.
        return NumberPage(_positive("page[number]", number), size)
    if after is not None and before is not None:
        raise invalid_parameter(
            "page[before]",
            "range pagination (page[after] with page[before]) is not supported",
            type_link=RANGE_NOT_SUPPORTED_TYPE,
        )
    for name, given in (("page[after]", after), ("page[before]", before)):
        if given is not None and not given:
            raise invalid_parameter(name, f"{name} must be a cursor from a pagination link")
    return CursorPage(size, after, before)


def parse_list_query(params: Params) -> ListRequest:
    """The query of a list request. Raises RequestError, InvalidQueryError."""
    values = _single_values(params, _LIST_PARAMETERS)
    page = _page(values)
    order = SortOrder.parse(values["sort"]) if "sort" in values else SortOrder()
    selection = UserFilter.build(
        exact={
            name: values[f"filter[{name}]"]
            for name in STRING_ATTRIBUTES
            if f"filter[{name}]" in values
        },
        age=_age("filter[age]", values.get("filter[age]")),
        age_min=_age("filter[age][gte]", values.get("filter[age][gte]")),
        age_max=_age("filter[age][lte]", values.get("filter[age][lte]")),
        search=values.get("filter[search]"),
    )
    fields = parse_fields(values.get(_FIELDS_PARAMETER))
    kept = tuple(
        (name, value) for name, value in params if name in values and name not in _PAGE_PARAMETERS
    )
    return ListRequest(UserQuery(selection, order, page), fields, kept)


def _row_id(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not _DIGITS.fullmatch(value) or int(value) < 1:
        raise invalid_parameter(name, f"{name} must be a cursor from a pagination link")
    return int(value)


def parse_window(params: Params, *, newer: bool) -> Window:
    """`page[size]` and `page[after]` (and, with `newer`, `page[before]`) of a list paged by
    the ids of its entries, newest first. Raises RequestError."""
    allowed = {"page[size]", "page[after]", *(("page[before]",) if newer else ())}
    values = _single_values(params, frozenset(allowed))
    older_than = _row_id("page[after]", values.get("page[after]"))
    newer_than = _row_id("page[before]", values.get("page[before]"))
    if older_than is not None and newer_than is not None:
        raise invalid_parameter(
            "page[before]",
            "range pagination (page[after] with page[before]) is not supported",
            type_link=RANGE_NOT_SUPPORTED_TYPE,
        )
    return Window(_page_size(values.get("page[size]")), older_than, newer_than)

"""Opaque page cursors: the sort order they were issued for and the key of a boundary row.

A cursor names a position between users, not a user, so a page after it never skips or
repeats anyone while other users are added or removed. Encoded without JSON so the domain
stays free of serialisation libraries: base64url of ``v1|<signature>|<typed values>``.
"""

from __future__ import annotations

import base64
import binascii

from domain.errors import InvalidCursorError
from domain.queries import SortOrder

Key = tuple[str | int, ...]
_VERSION = "v1"
#: The values part of the end cursor (no key value is encoded as a bare word).
_END = "end"
#: Keys are ids and ages stored as (64-bit) integers; one step (see `including`) must still
#: fit, so a larger value in a cursor cannot be one this service issued.
_MAX_KEY_INTEGER = 2**63 - 2


def _encode_value(value: str | int) -> str:
    if isinstance(value, int):
        return f"i{value}"
    return "s" + base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_value(token: str) -> str | int:
    kind, body = token[:1], token[1:]
    if kind == "i":
        return int(body)
    if kind == "s":
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    raise ValueError(token)


def encode_cursor(order: SortOrder, key: Key) -> str:
    text = "|".join([_VERSION, order.signature, ".".join(_encode_value(v) for v in key)])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def end_cursor(order: SortOrder) -> str:
    """The cursor after the last user: `page[before]` it is the list's last page."""
    text = "|".join([_VERSION, order.signature, _END])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> Key:
    """Raises InvalidCursorError for anything this service did not issue for this order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, signature, values = raw.split("|")
        key = tuple(_decode_value(token) for token in values.split("."))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidCursorError("the cursor is not one this service issued") from None
    if version != _VERSION:
        raise InvalidCursorError("the cursor is not one this service issued")
    if signature != order.signature:
        raise InvalidCursorError("the cursor was issued for another sort order")
    expected_types = [int if k.field in ("id", "age") else str for k in order.keys]
    if len(key) != len(expected_types) or any(
        type(value) is not kind for value, kind in zip(key, expected_types, strict=False)
    ):
        raise InvalidCursorError("the cursor is not one this service issued")
    if not all(_storable(value) for value in key):
        raise InvalidCursorError("the cursor is not one this service issued")
    return key


def _storable(value: str | int) -> bool:
    """Could a stored user have this key value? Anything else would reach the database as a
    value its driver refuses (SQLite: integers past 64 bits; PostgreSQL: NUL in text)."""
    if isinstance(value, int):
        return abs(value) <= _MAX_KEY_INTEGER
    return "\x00" not in value


def including(order: SortOrder, key: Key, *, probing_forward: bool) -> Key:
    """A boundary that lets the row at `key` itself be found when probing from it.

    Ids are unique integers, so moving the id by one past `key` (against the probe's
    direction) turns "strictly beyond" into "at or beyond".
    """
    id_ascending = not order.keys[-1].descending
    step = 1 if id_ascending else -1
    if probing_forward:
        step = -step
    last = key[-1]
    assert isinstance(last, int)
    return (*key[:-1], last + step)

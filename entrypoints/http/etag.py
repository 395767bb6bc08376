"""Strong entity tags from a user's id and version, and the conditional-request checks."""

from __future__ import annotations

from typing import Final

from domain.model import User

_ANY: Final = "*"


def etag_for(user: User) -> str:
    return f'"{user.id}-{user.version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def none_match(header: str | None, user: User) -> bool:
    """True when If-None-Match names the current representation (answer 304).

    If-None-Match uses the weak comparison, so `W/"7-3"` matches too.
    """
    if not header:
        return False
    current = etag_for(user)
    return any(tag == _ANY or tag.removeprefix("W/") == current for tag in _tags(header))


def matching_versions(header: str, user_id: int) -> frozenset[int] | None:
    """The versions an If-Match header accepts for this user; None for `*` (any version).

    If-Match uses the strong comparison: weak tags and tags for other users accept nothing,
    so an empty set means the precondition cannot hold.
    """
    versions: set[int] = set()
    prefix = f'"{user_id}-'
    for tag in _tags(header):
        if tag == _ANY:
            return None
        if tag.startswith(prefix) and tag.endswith('"'):
            version = tag[len(prefix) : -1]
            if version.isascii() and version.isdigit() and len(version) < 19:
                versions.add(int(version))
    return frozenset(versions)

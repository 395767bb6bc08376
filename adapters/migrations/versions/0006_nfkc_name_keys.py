"""Comparison keys become NFKC_Casefold: recompute every derived key, report collisions.

Revision ID: 0006_nfkc_name_keys
Revises: 0005_name_buckets
Create Date: 2026-12-04

The keys were Python's casefold; they are now NFKC_Casefold (domain.model.comparison_key):
look-alike names that were two keys (composed and decomposed accents, full-width letters,
names differing by an invisible character) become one. Every row's keys (name, address,
address prefix, profession, website) and its search key are computed again; only the rows
whose keys change are written, so the triggers keep the name ranges and SQLite's search
index in step.

Two users whose names now share a key cannot both stay: the migration then changes nothing,
logs each colliding group (ids and names) and fails with what to do (rename or remove all
but one user of each group, then migrate again). A name the new rule would refuse
(invisible characters) is kept; it is logged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006_nfkc_name_keys"
down_revision: str | Sequence[str] | None = "0005_name_buckets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")

# Written out rather than imported: a migration must not change when the code does.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_TEXTS = ("name", "address", "profession", "website")
_ADDRESS_PREFIX_LENGTH = 200
_SEPARATOR = "\x1f"
_BATCH = 1000


class NameKeyCollisionError(ValueError):
    """Existing users whose names the new rule says are the same (a ValueError: `users-service
    migrate` and `serve` report its message and exit with status 2)."""


def _key(text: str) -> str:
    if text.isascii():
        return text.casefold()
    visible = _IGNORABLE.sub("", text)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return _IGNORABLE.sub("", folded)


_users = sa.table(
    "users",
    sa.column("id"),
    *(sa.column(text) for text in _TEXTS),
    *(sa.column(f"{text}_key") for text in _TEXTS),
    sa.column("address_prefix"),
)
_search_keys = sa.table("user_search_keys", sa.column("user_id"), sa.column("search_key"))


def _new_keys(row: Any) -> dict[str, str]:  # a row of users (a variadic sa.Row)
    keys = {f"{text}_key": _key(getattr(row, text)) for text in _TEXTS}
    keys["address_prefix"] = keys["address_key"][:_ADDRESS_PREFIX_LENGTH]
    return keys


def _changed_rows(connection: sa.Connection) -> dict[int, tuple[str, dict[str, str]]]:
    """id -> (name, new keys) of every user whose keys change."""
    changed: dict[int, tuple[str, dict[str, str]]] = {}
    columns = [_users.c.id, *(_users.c[t] for t in _TEXTS), *(_users.c[f"{t}_key"] for t in _TEXTS)]
    rows = connection.execute(
        sa.select(*columns, _users.c.address_prefix),
        execution_options={"stream_results": True, "yield_per": _BATCH},
    )
    for row in rows:
        keys = _new_keys(row)
        if any(keys[column] != getattr(row, column) for column in keys):
            changed[row.id] = (row.name, keys)
        if _IGNORABLE.search(row.name):
            logger.warning("user %d keeps a name with invisible characters: %r", row.id, row.name)
    return changed


def _collisions(
    connection: sa.Connection, changed: dict[int, tuple[str, dict[str, str]]]
) -> list[list[tuple[int, str]]]:
    """Groups of users whose new name keys are equal. Old keys were unique, so every group
    holds a changed user: its key is compared with the other changed users' new keys and with
    the unchanged users' keys."""
    by_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for user_id, (name, keys) in changed.items():
        by_key[keys["name_key"]].append((user_id, name))
    wanted = list(by_key)
    for start in range(0, len(wanted), _BATCH):
        holders = connection.execute(
            sa.select(_users.c.id, _users.c.name, _users.c.name_key).where(
                _users.c.name_key.in_(wanted[start : start + _BATCH])
            )
        )
        for holder in holders:
            if holder.id not in changed:  # an unchanged user keeps its key
                by_key[holder.name_key].append((holder.id, holder.name))
    return [sorted(group) for group in by_key.values() if len(group) > 1]


def upgrade() -> None:
    connection = op.get_bind()
    changed = _changed_rows(connection)
    collisions = _collisions(connection, changed)
    if collisions:
        for group in collisions:
            logger.error(
                "these users' names are now the same name: %s",
                "; ".join(f"id {user_id} {name!r}" for user_id, name in group),
            )
        raise NameKeyCollisionError(
            f"{len(collisions)} group(s) of existing users have names that now count as the "
            "same (logged above, with their ids). Nothing was changed. Rename or remove all "
            "but one user of each group (PATCH or DELETE /api/v1/users/{id} on the running "
            "service), then run `users-service migrate` again."
        )
    # Two steps, so that no update meets a key another row is about to give up.
    renamed = [user_id for user_id, (_, keys) in changed.items()]
    for start in range(0, len(renamed), _BATCH):
        connection.execute(
            _users.update().where(_users.c.id == sa.bindparam("match_id")),
            [{"match_id": i, "name_key": f"\x01{i}"} for i in renamed[start : start + _BATCH]],
        )
    items = list(changed.items())
    for start in range(0, len(items), _BATCH):
        batch = items[start : start + _BATCH]
        connection.execute(
            _users.update().where(_users.c.id == sa.bindparam("match_id")),
            [{"match_id": user_id, **keys} for user_id, (_, keys) in batch],
        )
        connection.execute(
            _search_keys.update().where(_search_keys.c.user_id == sa.bindparam("match_id")),
            [
                {
                    "match_id": user_id,
                    "search_key": _SEPARATOR.join(keys[f"{t}_key"] for t in _TEXTS),
                }
                for user_id, (_, keys) in batch
            ],
        )
    if changed:
        logger.info("recomputed the comparison keys of %d user(s)", len(changed))


def downgrade() -> None:
    # The casefold keys of 0005; names that only NFKC_Casefold told apart stay unique.
    connection = op.get_bind()
    rows = connection.execute(sa.select(_users.c.id, *(_users.c[t] for t in _TEXTS))).all()
    for row in rows:
        keys = {f"{t}_key": getattr(row, t).casefold() for t in _TEXTS}
        keys["address_prefix"] = keys["address_key"][:_ADDRESS_PREFIX_LENGTH]
        connection.execute(
            _users.update().where(_users.c.id == row.id).values(name_key=f"\x01{row.id}")
        )
        connection.execute(_users.update().where(_users.c.id == row.id).values(**keys))
        connection.execute(
            _search_keys.update()
            .where(_search_keys.c.user_id == row.id)
            .values(search_key=_SEPARATOR.join(keys[f"{t}_key"] for t in _TEXTS))
        )

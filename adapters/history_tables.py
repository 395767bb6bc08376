"""The users' history (migration 0009), on the shared `metadata` of adapters/tables.py, so
the migration drift check covers it. A deleted user is its `deleted` change, `restorable`
until it is restored or purged: deleting writes one row here, not two.

Attribute values are stored as JSON text, not a column each: history outlives changes to
the set of attributes, and a new attribute needs no migration here.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from adapters.mariadb import TABLE_OPTIONS
from adapters.tables import metadata, timestamp_type
from domain.accounts import ACCOUNT_NAME_MAX
from domain.history import Action

_ACTIONS = "action IN (" + ", ".join(f"'{action.value}'" for action in Action) + ")"

user_changes = Table(
    "user_changes",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("at", timestamp_type(), nullable=False),
    Column("actor", String(ACCOUNT_NAME_MAX), nullable=False),
    Column("token_id", Integer, nullable=True),
    # {"attribute": [before, after], ...}; NULL once the user is purged.
    Column("changed", Text, nullable=True),
    # True on a `deleted` change while the user can be restored.
    Column("restorable", Boolean(create_constraint=False), nullable=False),
    CheckConstraint(_ACTIONS, name="action_known"),
    sqlite_autoincrement=True,
    # A write records its change without reading the new id back (RETURNING id).
    implicit_returning=False,
    **TABLE_OPTIONS,
)
# A user's history, newest first, is a walk of this index backwards.
Index(None, user_changes.c.user_id, user_changes.c.id)
# The restorable users, the latest deleted first; and the oldest first for the purge. Only
# their rows, where the database can (MariaDB/MySQL index every row).
Index(
    None,
    user_changes.c.restorable,
    user_changes.c.id,
    postgresql_where=user_changes.c.restorable,
    sqlite_where=user_changes.c.restorable,
)

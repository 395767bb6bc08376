"""The users' history; a deleted user is its `deleted` change, restorable until restored or
purged.

Revision ID: 0009_history
Revises: 0008_accounts
Create Date: 2026-12-04

Written by hand; keep it in step with adapters/history_tables.py (tests/integration checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0009_history"
down_revision: str | Sequence[str] | None = "0008_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration must not change when the code does.
_ACTIONS = "action IN ('created', 'changed', 'deleted', 'restored')"
_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _moment(name: str) -> sa.Column[Any]:
    moment = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    return sa.Column(name, moment, nullable=False)


def upgrade() -> None:
    op.create_table(
        "user_changes",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        _moment("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("changed", sa.Text(), nullable=True),
        sa.Column("restorable", sa.Boolean(create_constraint=False), nullable=False),
        sa.CheckConstraint(_ACTIONS, name=op.f("ck_user_changes_action_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_changes")),
        sqlite_autoincrement=True,
        **_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_user_changes_user_id_id"), "user_changes", ["user_id", "id"])
    op.create_index(
        op.f("ix_user_changes_restorable_id"),
        "user_changes",
        ["restorable", "id"],
        postgresql_where=sa.text("restorable"),
        sqlite_where=sa.text("restorable"),
    )


def downgrade() -> None:
    op.drop_table("user_changes")

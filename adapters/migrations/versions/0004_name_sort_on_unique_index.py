"""The name sort uses the name key's unique index; the (name_key, id) index goes.

Revision ID: 0004_name_sort_on_unique_index
Revises: 0003_search_keys_table
Create Date: 2026-11-26

The name key is unique, so ORDER BY name_key, id is ORDER BY name_key, which the unique
constraint's index already serves: the second index only cost every insert and every
non-HOT update one more index entry. On PostgreSQL the constraint's index now includes id,
so an offset page still walks the index alone (index-only) to skip rows. SQLite's indexes
hold the rowid (= id) anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_name_sort_on_unique_index"
down_revision: str | Sequence[str] | None = "0003_search_keys_table"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONSTRAINT = "uq_users_name_key"
_INDEX = "ix_users_name_key_id"


def _on_postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():
        # One statement: the names stay unique throughout.
        op.execute(
            f"ALTER TABLE users DROP CONSTRAINT {_CONSTRAINT}, "
            f"ADD CONSTRAINT {_CONSTRAINT} UNIQUE (name_key) INCLUDE (id)"
        )
    op.drop_index(_INDEX, table_name="users")


def downgrade() -> None:
    op.create_index(_INDEX, "users", ["name_key", "id"])
    if _on_postgresql():
        op.execute(
            f"ALTER TABLE users DROP CONSTRAINT {_CONSTRAINT}, "
            f"ADD CONSTRAINT {_CONSTRAINT} UNIQUE (name_key)"
        )

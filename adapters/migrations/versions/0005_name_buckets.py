"""name_buckets: the count of users per range of the name key, kept by triggers.

Revision ID: 0005_name_buckets
Revises: 0004_name_sort_on_unique_index
Create Date: 2026-11-26

An offset page in name order finds the range holding its first row from these counts and
walks only that range (adapters/name_buckets.py). On SQLite, triggers on `users` move the
counts with every insert, delete and change of name key. On PostgreSQL the changes are
appended to name_bucket_changes, which the service folds into the counts (a read adds the
ones not folded yet): by the service's own insert and delete statements, and by a trigger
for a change of name key. The table starts as one range ('')
holding every user; the service splits it as it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005_name_buckets"
down_revision: str | Sequence[str] | None = "0004_name_sort_on_unique_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration must not change when the code does.
_FUNCTION = "users_name_buckets"


def _bucket_of(key: str) -> str:
    """The lower_key of the range holding `key`: the greatest lower_key not above it."""
    return f"(SELECT max(lower_key) FROM name_buckets WHERE lower_key <= {key})"


# PostgreSQL: concurrent writers would queue on a shared count row (each holds its lock until
# its commit is flushed: POSTs of neighbouring names ran at 1,700/s instead of 3,900/s), so
# each write appends its change instead, and the service folds the changes into the counts.
_PG_FUNCTION = f"""
CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO name_bucket_changes (lower_key, delta) VALUES ({_bucket_of("NEW.name_key")}, 1);
  END IF;
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO name_bucket_changes (lower_key, delta) VALUES ({_bucket_of("OLD.name_key")}, -1);
  END IF;
  RETURN NULL;
END
$$
"""
# Inserts and deletes through the service append their change in the same statement
# (adapters/sql.py: a trigger cost PostgreSQL about 18 us more per POST); a rename needs the
# old key, which only a trigger sees reliably under concurrent renames.
_PG_TRIGGERS = {
    f"{_FUNCTION}_update": (
        "AFTER UPDATE OF name_key ON users FOR EACH ROW "
        "WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key)"
    ),
}
# SQLite: one writer at a time, so the counts are moved directly.
_SQLITE_TRIGGERS = {
    "name_buckets_insert": (
        "AFTER INSERT ON users BEGIN UPDATE name_buckets SET total = total + 1 "
        f"WHERE lower_key = {_bucket_of('new.name_key')}; END"
    ),
    "name_buckets_delete": (
        "AFTER DELETE ON users BEGIN UPDATE name_buckets SET total = total - 1 "
        f"WHERE lower_key = {_bucket_of('old.name_key')}; END"
    ),
    "name_buckets_update": (
        "AFTER UPDATE OF name_key ON users WHEN old.name_key IS NOT new.name_key BEGIN "
        "UPDATE name_buckets SET total = total - 1 "
        f"WHERE lower_key = {_bucket_of('old.name_key')}; "
        "UPDATE name_buckets SET total = total + 1 "
        f"WHERE lower_key = {_bucket_of('new.name_key')}; END"
    ),
}


def _key() -> sa.types.TypeEngine[str]:
    # MariaDB/MySQL: as users.name_key (0001).
    return (
        sa.Text()
        .with_variant(sa.Text(collation="C"), "postgresql")
        .with_variant(mysql.VARBINARY(1500), "mysql", "mariadb")
    )


_MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _on_mysql() -> bool:
    # The service never ran on MariaDB/MySQL with these ranges: the tables are made (so that
    # the migration that drops them runs everywhere) but kept by no trigger.
    return op.get_context().dialect.name in ("mysql", "mariadb")


def _on_postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "name_buckets",
        sa.Column("lower_key", _key(), primary_key=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lower_key", name=op.f("pk_name_buckets")),
        **_MYSQL_TABLE,
    )
    op.execute("INSERT INTO name_buckets (lower_key, total) SELECT '', count(*) FROM users")
    op.create_table(
        "name_bucket_changes",
        sa.Column("lower_key", _key(), nullable=False),
        sa.Column("delta", sa.SmallInteger(), nullable=False),
        **_MYSQL_TABLE,
    )
    if _on_postgresql():
        op.execute(_PG_FUNCTION)
        for name, when in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {_FUNCTION}()")
        return
    if _on_mysql():
        return
    for name, body in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if _on_postgresql():
        for name in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON users")
        op.execute(f"DROP FUNCTION {_FUNCTION}()")
    elif not _on_mysql():
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("name_bucket_changes")
    op.drop_table("name_buckets")

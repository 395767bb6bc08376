"""SQLite: an FTS5 trigram index on users.search_key, kept in step by triggers.

Revision ID: 0002_sqlite_search_index
Revises: 0001_users
Create Date: 2026-11-25

Nothing on PostgreSQL (its pg_trgm index comes with 0001). The table is not in tables.py;
the drift check leaves it and its shadow tables out (adapters/migrations/env.py), and
adapters/search.py explains the queries. Existing rows are indexed by a 'rebuild'.

A later migration that rebuilds `users` on SQLite (a batch operation copies the table)
drops these triggers with it and must create them again.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_sqlite_search_index"
down_revision: str | Sequence[str] | None = "0001_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration must not change when the code does.
_INDEX = "users_search"
_INSERT = f"INSERT INTO {_INDEX}(rowid, search_key) VALUES (new.id, new.search_key);"
_DELETE = (
    f"INSERT INTO {_INDEX}({_INDEX}, rowid, search_key) VALUES ('delete', old.id, old.search_key);"
)
_TRIGGERS = {
    "users_search_after_insert": f"AFTER INSERT ON users BEGIN {_INSERT} END",
    "users_search_after_delete": f"AFTER DELETE ON users BEGIN {_DELETE} END",
    "users_search_after_update": (
        "AFTER UPDATE OF id, search_key ON users "
        "WHEN old.id IS NOT new.id OR old.search_key IS NOT new.search_key "
        f"BEGIN {_DELETE} {_INSERT} END"
    ),
}


def _on_sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def upgrade() -> None:
    if not _on_sqlite():
        return
    # case_sensitive 1: search_key is folded by Python already; columnsize=0: no per-row
    # size table (only ranking uses it).
    op.execute(
        f"CREATE VIRTUAL TABLE {_INDEX} USING fts5(search_key, content='users', "
        "content_rowid='id', tokenize='trigram case_sensitive 1', columnsize=0)"
    )
    for name, body in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(f"INSERT INTO {_INDEX}({_INDEX}) VALUES ('rebuild')")


def downgrade() -> None:
    if not _on_sqlite():
        return
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(f"DROP TABLE {_INDEX}")

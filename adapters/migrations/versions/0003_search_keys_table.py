"""The search key moves from `users` into `user_search_keys`, with its substring index.

Revision ID: 0003_search_keys_table
Revises: 0002_sqlite_search_index
Create Date: 2026-11-26

Why: `users` gets no HOT updates (age and every key are indexed), so each UPDATE there adds
entries to all of its indexes, and on PostgreSQL that meant the trigram GIN index too: a
PATCH of `age` re-indexed the trigrams of the user's whole text (about 130 us of
PostgreSQL's CPU per PATCH on a million users, bench/cost.py). In a table of its own, the
key and its index are written only when text changes.

PostgreSQL: the GIN index moves with the column. SQLite: the FTS5 table (migration 0002)
is rebuilt over the new table, with its triggers on it instead of on `users`.
MariaDB/MySQL (no trigram index there): a stored generated column holds the key's byte
trigrams as words (6 hex digits each) under an InnoDB FULLTEXT index; see adapters/search.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003_search_keys_table"
down_revision: str | Sequence[str] | None = "0002_sqlite_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration must not change when the code does.
_FTS = "users_search"
_OLD_TRIGGERS = (
    "users_search_after_insert",
    "users_search_after_delete",
    "users_search_after_update",
)
_INSERT = f"INSERT INTO {_FTS}(rowid, search_key) VALUES (new.user_id, new.search_key);"
_DELETE = (
    f"INSERT INTO {_FTS}({_FTS}, rowid, search_key) VALUES ('delete', old.user_id, old.search_key);"
)
_TRIGGERS = {
    "user_search_keys_after_insert": f"AFTER INSERT ON user_search_keys BEGIN {_INSERT} END",
    "user_search_keys_after_delete": f"AFTER DELETE ON user_search_keys BEGIN {_DELETE} END",
    "user_search_keys_after_update": (
        "AFTER UPDATE ON user_search_keys "
        "WHEN old.user_id IS NOT new.user_id OR old.search_key IS NOT new.search_key "
        f"BEGIN {_DELETE} {_INSERT} END"
    ),
}
_OLD_INDEX = "ix_users_search_key_trgm"
_NEW_INDEX = "ix_user_search_keys_search_key_trgm"


def _on_sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def _on_mysql() -> bool:
    return op.get_context().dialect.name in ("mysql", "mariadb")


# MariaDB/MySQL: the key as its UTF-8 bytes (see 0001); no trigram index there.
_SEARCH_KEY = sa.Text().with_variant(sa.LargeBinary(), "mysql", "mariadb")
# Every 3-byte window of the key in hex, each followed by a space: the regex takes two hex
# digits (one byte) at a time, replacing them by the six the lookahead sees; the last two
# bytes, with no full window, are dropped. Lower case: InnoDB folds the words when it builds
# the index over existing rows but not when a row is written later.
_GRAMS = r"regexp_replace(lower(hex(search_key)), '(?=(.{6}))..|.+$', '\\1 ')"
_MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _create_fts(content: str, rowid: str) -> None:
    # As in 0002: case_sensitive 1 (the text is folded by Python), no per-row size table.
    op.execute(
        f"CREATE VIRTUAL TABLE {_FTS} USING fts5(search_key, content='{content}', "
        f"content_rowid='{rowid}', tokenize='trigram case_sensitive 1', columnsize=0)"
    )


def _create_trigram_index(name: str, table: str) -> None:
    op.create_index(
        name,
        table,
        ["search_key"],
        postgresql_using="gin",
        postgresql_ops={"search_key": "gin_trgm_ops"},
    )


def upgrade() -> None:
    if _on_sqlite():
        for name in _OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute(f"DROP TABLE {_FTS}")
    op.create_table(
        "user_search_keys",
        sa.Column("user_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("search_key", _SEARCH_KEY, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_search_keys")),
        **_MYSQL_TABLE,
    )
    op.execute(
        "INSERT INTO user_search_keys (user_id, search_key) SELECT id, search_key FROM users"
    )
    if _on_sqlite():
        # SQLite 3.35+ drops a column in place (no table copy, so no trigger is lost).
        op.execute("ALTER TABLE users DROP COLUMN search_key")
        _create_fts("user_search_keys", "user_id")
        for name, body in _TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute(f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')")
        return
    if _on_mysql():
        op.drop_column("users", "search_key")
        op.execute(
            "ALTER TABLE user_search_keys ADD COLUMN search_grams MEDIUMTEXT CHARACTER SET "
            f"ascii COLLATE ascii_bin GENERATED ALWAYS AS ({_GRAMS}) STORED"
        )
        # No stopwords: a hex word such as "decade" is a trigram, not an English word.
        op.execute("SET SESSION innodb_ft_enable_stopword = OFF")
        op.execute(
            "CREATE FULLTEXT INDEX ix_user_search_keys_search_grams "
            "ON user_search_keys (search_grams)"
        )
        return
    op.drop_index(_OLD_INDEX, table_name="users")
    op.drop_column("users", "search_key")
    _create_trigram_index(_NEW_INDEX, "user_search_keys")


def downgrade() -> None:
    if _on_sqlite():
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute(f"DROP TABLE {_FTS}")
    elif not _on_mysql():
        op.drop_index(_NEW_INDEX, table_name="user_search_keys")
    if _on_mysql():  # a BLOB takes no default: add it nullable, fill it, then require it
        op.add_column("users", sa.Column("search_key", _SEARCH_KEY, nullable=True))
    else:
        op.add_column(
            "users", sa.Column("search_key", sa.Text(), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE users SET search_key = (SELECT search_key FROM user_search_keys "
        "WHERE user_search_keys.user_id = users.id)"
    )
    if _on_mysql():
        op.alter_column("users", "search_key", existing_type=_SEARCH_KEY, nullable=False)
    elif not _on_sqlite():
        op.alter_column("users", "search_key", server_default=None)
    op.drop_table("user_search_keys")
    if _on_sqlite():
        # 0002's index and triggers, as 0002 made them.
        _create_fts("users", "id")
        old_insert = f"INSERT INTO {_FTS}(rowid, search_key) VALUES (new.id, new.search_key);"
        old_delete = (
            f"INSERT INTO {_FTS}({_FTS}, rowid, search_key) "
            "VALUES ('delete', old.id, old.search_key);"
        )
        old_bodies = (
            f"AFTER INSERT ON users BEGIN {old_insert} END",
            f"AFTER DELETE ON users BEGIN {old_delete} END",
            "AFTER UPDATE OF id, search_key ON users "
            "WHEN old.id IS NOT new.id OR old.search_key IS NOT new.search_key "
            f"BEGIN {old_delete} {old_insert} END",
        )
        for name, body in zip(_OLD_TRIGGERS, old_bodies, strict=True):
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute(f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')")
        return
    if not _on_mysql():
        _create_trigram_index(_OLD_INDEX, "users")

"""Users, with folded key columns and indexes for every sort; the sharded user count.

Revision ID: 0001_users
Revises:
Create Date: 2026-11-26

Written by hand; keep it in step with adapters/tables.py (tests/integration checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001_users"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNT_SHARDS = 16
# MariaDB/MySQL: InnoDB, 4-byte UTF-8; keys are their UTF-8 bytes (compared as Python
# compares strings), at most 6 bytes per character of the field they fold.
MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _key(characters: int | None) -> sa.types.TypeEngine[str]:
    on_mysql: sa.types.TypeEngine[Any] = (
        sa.LargeBinary() if characters is None else mysql.VARBINARY(6 * characters)
    )
    return (
        sa.Text()
        .with_variant(sa.Text(collation="C"), "postgresql")
        .with_variant(on_mysql, "mysql", "mariadb")
    )


def _timestamp() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    on_postgresql = op.get_context().dialect.name == "postgresql"
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("name_key", _key(250), nullable=False),
        sa.Column("address", sa.String(2000), nullable=False),
        sa.Column("address_key", _key(2000), nullable=False),
        sa.Column("address_prefix", _key(200), nullable=False),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("profession", sa.String(250), nullable=False),
        sa.Column("profession_key", _key(250), nullable=False),
        sa.Column("website", sa.String(250), nullable=False),
        sa.Column("website_key", _key(250), nullable=False),
        sa.Column(
            "search_key",
            sa.Text().with_variant(sa.LargeBinary(), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name_key", name=op.f("uq_users_name_key")),
        sa.CheckConstraint("age BETWEEN 0 AND 150", name=op.f("ck_users_age_range")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_users_version_positive")),
        sa.CheckConstraint("name <> ''", name=op.f("ck_users_name_not_empty")),
        sa.CheckConstraint("address <> ''", name=op.f("ck_users_address_not_empty")),
        sa.CheckConstraint("profession <> ''", name=op.f("ck_users_profession_not_empty")),
        sa.CheckConstraint("website <> ''", name=op.f("ck_users_website_not_empty")),
        sqlite_autoincrement=True,
        **MYSQL_TABLE,
    )
    op.create_index("ix_users_name_key_id", "users", ["name_key", "id"])
    op.create_index("ix_users_address_prefix", "users", ["address_prefix"])
    op.create_index("ix_users_age_id", "users", ["age", "id"])
    op.create_index("ix_users_profession_key_id", "users", ["profession_key", "id"])
    op.create_index("ix_users_website_key_id", "users", ["website_key", "id"])
    if on_postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_users_search_key_trgm",
            "users",
            ["search_key"],
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        )
    counts = op.create_table(
        "user_counts",
        sa.Column("shard", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_user_counts")),
        **MYSQL_TABLE,
    )
    op.bulk_insert(counts, [{"shard": shard, "total": 0} for shard in range(COUNT_SHARDS)])


def downgrade() -> None:
    op.drop_table("user_counts")
    if op.get_context().dialect.name == "postgresql":
        op.drop_index("ix_users_search_key_trgm", table_name="users")
    for index in (
        "ix_users_website_key_id",
        "ix_users_profession_key_id",
        "ix_users_age_id",
        "ix_users_address_prefix",
        "ix_users_name_key_id",
    ):
        op.drop_index(index, table_name="users")
    op.drop_table("users")
    # pg_trgm stays: other schemas in the database may use it.

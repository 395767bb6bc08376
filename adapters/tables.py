"""The database schema as SQLAlchemy Core tables; the migrations create exactly this.

Strings are stored as given, and beside each one its domain comparison key (Python's
casefold, computed in Python because SQL lower() folds differently). Filters, sorting and
uniqueness use the keys, compared by code point (`COLLATE "C"` on PostgreSQL, SQLite's
BINARY, MariaDB/MySQL's VARBINARY of the UTF-8 bytes), which is how Python compares strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from adapters.mariadb import TABLE_OPTIONS, TIMESTAMP, folded_key
from domain.model import USER_ATTRIBUTES

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A btree entry holds at most ~2700 bytes; a folded 2000-character address can reach 8000.
#: The address sort indexes this many leading characters of the key; rows with the same
#: prefix are put in order by an incremental sort on the full key.
ADDRESS_PREFIX_LENGTH: Final = 200

#: Rows of `user_counts`; a registration or removal touches the row `id % COUNT_SHARDS`, so
#: concurrent writers seldom wait for each other, and the total is a sum of a few rows.
COUNT_SHARDS: Final = 16

#: Joins the folded fields in `search_key`; a search term never holds control characters,
#: so a match can never span two fields.
SEARCH_SEPARATOR: Final = "\x1f"

#: SQLite's substring index on user_search_keys (migrations 0002 and 0003, see
#: adapters/search.py): an external-content FTS5 table kept in step by triggers on
#: user_search_keys; not in `metadata`.
SEARCH_INDEX: Final = "users_search"
#: The virtual table and the shadow tables FTS5 keeps for it (some exist only with some
#: options); the migrations' drift check leaves exactly these out on SQLite.
SEARCH_INDEX_TABLES: Final = frozenset(
    {
        SEARCH_INDEX,
        *(f"{SEARCH_INDEX}_{part}" for part in ("data", "idx", "config", "docsize", "content")),
    }
)

#: MariaDB/MySQL's substring index (migration 0003, see adapters/search.py): a generated
#: column of user_search_keys holding the key's byte trigrams as words, under a FULLTEXT
#: index. Neither is in `metadata`; the drift check leaves exactly these out on MariaDB/MySQL.
SEARCH_GRAMS: Final = "search_grams"
SEARCH_GRAMS_INDEX: Final = "ix_user_search_keys_search_grams"

#: Index options naming the dialects an index exists on (see `Index.ddl_if`).
ONLY_ON: Final = "dialects"


def key_type(characters: int | None = None) -> TypeEngine[str]:
    """Text compared by code point on every database: the folded key of a field of at most
    `characters` characters (MariaDB/MySQL need the bound; None: a key no index holds)."""
    return (
        Text()
        .with_variant(Text(collation="C"), "postgresql")
        .with_variant(folded_key(characters), "mysql", "mariadb")
    )


def timestamp_type() -> TypeEngine[datetime]:
    return DateTime(timezone=True).with_variant(TIMESTAMP, "mysql", "mariadb")


def as_utc(moment: datetime) -> datetime:
    """A moment read back: SQLite and MariaDB/MySQL return the UTC moments stored without
    their zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _attribute_columns() -> list[Column[Any]]:
    """A column per attribute of USER_ATTRIBUTES, and beside each text one its key."""
    columns: list[Column[Any]] = []
    for attribute in USER_ATTRIBUTES:
        if attribute.text:
            columns.append(Column(attribute.name, String(attribute.max_length), nullable=False))
            columns.append(
                Column(f"{attribute.name}_key", key_type(attribute.max_length), nullable=False)
            )
        else:
            columns.append(Column(attribute.name, Integer, nullable=False))
    return columns


def _attribute_checks() -> list[CheckConstraint]:
    checks = []
    for attribute in USER_ATTRIBUTES:
        if attribute.text:
            checks.append(
                CheckConstraint(f"{attribute.name} <> ''", name=f"{attribute.name}_not_empty")
            )
        else:
            bounds = f"{attribute.name} BETWEEN {attribute.minimum} AND {attribute.maximum}"
            checks.append(CheckConstraint(bounds, name=f"{attribute.name}_range"))
    return checks


users = Table(
    "users",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    *_attribute_columns(),
    # The leading characters of the address key, for its sort index (ADDRESS_PREFIX_LENGTH).
    Column("address_prefix", key_type(ADDRESS_PREFIX_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", timestamp_type(), nullable=False),
    Column("updated_at", timestamp_type(), nullable=False),
    # Names are unique case-insensitively. Its index also serves the name sort and, with the
    # id included, an offset page's index-only walk (adapters/listing.py: order_by).
    UniqueConstraint("name_key", postgresql_include=["id"]),
    *_attribute_checks(),
    CheckConstraint("version >= 1", name="version_positive"),
    # Never reuse the id of a removed user (SQLite would, without AUTOINCREMENT).
    sqlite_autoincrement=True,
    **TABLE_OPTIONS,
)

# One index per sort: the key, then id (the tie-breaker); descending sorts scan backwards.
# The name sort uses the unique constraint's index.
Index(None, users.c.address_prefix)
Index(None, users.c.age, users.c.id)
Index(None, users.c.profession_key, users.c.id)
Index(None, users.c.website_key, users.c.id)

#: Each user's folded fields joined by SEARCH_SEPARATOR, for filter[search]; written in the
#: same transaction as the user's row. A table of its own
#: so that a write changing no text (a PATCH of `age`) does not touch the substring index:
#: `users` has no HOT updates (age is indexed), and on PostgreSQL a new row version there
#: would add trigram entries for the whole text again (migration 0003). No foreign key: the
#: adapter writes both rows together, and the key's trigger would cost every write.
user_search_keys = Table(
    "user_search_keys",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("search_key", Text().with_variant(folded_key(None), "mysql", "mariadb"), nullable=False),
    **TABLE_OPTIONS,
)
# Substring search at a million rows: trigrams of the joined folded fields.
Index(
    "ix_user_search_keys_search_key_trgm",
    user_search_keys.c.search_key,
    postgresql_using="gin",
    postgresql_ops={"search_key": "gin_trgm_ops"},
    info={ONLY_ON: ("postgresql",)},
).ddl_if(dialect="postgresql")

user_counts = Table(
    "user_counts",
    metadata,
    Column("shard", SmallInteger, primary_key=True, autoincrement=False),
    Column("total", BigInteger, nullable=False),
    **TABLE_OPTIONS,
)

# The account and history tables join `metadata` here, so that whoever reads it sees the
# whole schema.
from adapters import account_tables, history_tables  # noqa: E402, F401

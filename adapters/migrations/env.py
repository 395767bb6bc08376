"""Alembic environment: the database comes from upgrade_to_head, `-x database_url=...`,
the DATABASE_URL environment variable or sqlite:///users.db, in that order."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.schema import SchemaItem

from adapters.database_url import DEFAULT_DATABASE_URL, normalize_database_url
from adapters.engine import create_engine_for
from adapters.schema import migration_connection
from adapters.tables import (
    ONLY_ON,
    SEARCH_GRAMS,
    SEARCH_GRAMS_INDEX,
    SEARCH_INDEX_TABLES,
    metadata,
    user_search_keys,
)

config = context.config


def _database_url() -> str:
    given = config.attributes.get("database_url")
    if given:
        return str(given)
    url = (
        context.get_x_argument(as_dictionary=True).get("database_url")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    return normalize_database_url(url)


def _include_object_for(dialect: str):  # type: ignore[no-untyped-def]
    """Leaves out of the comparison what tables.py declares for other databases only."""

    def include_object(
        item: SchemaItem, name: str | None, kind: str, reflected: bool, compare_to: object
    ) -> bool:
        only_on = getattr(item, "info", {}).get(ONLY_ON)
        return reflected or not only_on or dialect in only_on

    return include_object


def _include_name_for(dialect: str):  # type: ignore[no-untyped-def]
    """Leaves out the search indexes tables.py cannot declare, by exact name, nothing else:
    SQLite's FTS5 table and its shadow tables (migration 0002); MariaDB/MySQL's generated
    trigram column and its FULLTEXT index (migration 0003)."""
    on_mysql = dialect in ("mysql", "mariadb")

    def include_name(name: str | None, kind: str, parent_names: dict[str, str | None]) -> bool:
        if dialect == "sqlite" and kind == "table":
            return name not in SEARCH_INDEX_TABLES
        if on_mysql and parent_names.get("table_name") == user_search_keys.name:
            return (kind, name) not in {("column", SEARCH_GRAMS), ("index", SEARCH_GRAMS_INDEX)}
        return True

    return include_name


def _compare_type(  # type: ignore[no-untyped-def]
    migration, inspected_column, metadata_column, inspected_type, metadata_type
) -> bool | None:
    """Also reports a changed collation, which Alembic's own type comparison ignores:
    the folded key columns must compare by code point."""
    wanted = getattr(metadata_type.dialect_impl(migration.dialect), "collation", None)
    found = getattr(inspected_type, "collation", None)
    if wanted != found:
        return True
    return None  # Alembic's default comparison decides


def run_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine_for(_database_url(), pool_size=1, max_overflow=0)
    try:
        with migration_connection(engine) as connection:
            dialect = connection.dialect.name
            context.configure(
                connection=connection,
                target_metadata=metadata,
                include_object=_include_object_for(dialect),
                include_name=_include_name_for(dialect),
                render_as_batch=dialect == "sqlite",
                compare_type=_compare_type,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

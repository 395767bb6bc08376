"""MariaDB and MySQL (through PyMySQL): the engine, the key columns' type, the migration lock.

Everything the third database needs that the others do not lives here, so shared code asks
one question (`is_mysql`) instead of carrying per-dialect flags.

- Keys are VARBINARY: compared byte by byte, and UTF-8's byte order is code point order,
  which is how Python compares the folded keys. No collation does that on every server:
  MariaDB's and MySQL 5.7's `utf8mb4_bin` pads with spaces (so "a" sorts after "a\\n"), and
  the default collations are case- and accent-insensitive.
- Sessions run READ COMMITTED (as PostgreSQL does), strict, in UTC, with a statement time
  bound; PyMySQL's socket reads and writes are bounded too, so a server that stops answering
  is given up on instead of waited for.
- MySQL's DDL is not transactional: concurrent migrations serialise on a named lock
  (GET_LOCK), held by the migrating session until it is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import Connection, Engine, LargeBinary, create_engine, event, exc, text
from sqlalchemy.dialects.mysql import DATETIME, VARBINARY
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Python's casefold turns one character into at most 6 UTF-8 bytes (U+1FF7 -> 3 Greek
#: characters of 2 bytes each): a folded key of an n-character field fits in 6n bytes.
FOLDED_BYTES_PER_CHARACTER: Final = 6
#: Named lock every users-service process takes around its migrations.
MIGRATION_LOCK: Final = "users_service_migrations"
#: Seconds a starting process waits for another one's migrations.
MIGRATION_LOCK_WAIT_S: Final = 600
#: Table options for every table: transactional engine, 4-byte UTF-8 (emoji), binary collation
#: for any text comparison the key columns do not cover.
TABLE_OPTIONS: Final[dict[str, Any]] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
#: MySQL and MariaDB error numbers: a duplicate key; a deadlock, a lock wait timeout (both
#: roll back the statement or transaction, which can simply run again).
DUPLICATE_KEY: Final = 1062
RETRYABLE: Final = frozenset({1213, 1205})


#: SQLAlchemy's names for the dialect (a `mysql+pymysql://` URL gives "mysql" either way).
DIALECT_NAMES: Final = frozenset({"mysql", "mariadb"})


def is_mysql(dialect: Dialect) -> bool:
    """MariaDB or MySQL."""
    return dialect.name in DIALECT_NAMES


def is_mysql_name(dialect_name: str) -> bool:
    return dialect_name in DIALECT_NAMES


class FoldedKey(TypeDecorator[str]):
    """A folded key stored as its UTF-8 bytes (VARBINARY), handled as `str` in Python."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, max_bytes: int | None) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if self.max_bytes is None:  # too long for an index: never compared through one
            return dialect.type_descriptor(LargeBinary())
        return dialect.type_descriptor(VARBINARY(self.max_bytes))

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else value.encode()

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else bytes(value).decode()

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        return self  # a str compared with a key is encoded the same way


def folded_key(characters: int | None) -> FoldedKey:
    """The key type for a field of at most `characters` characters (None: unbounded)."""
    return FoldedKey(None if characters is None else characters * FOLDED_BYTES_PER_CHARACTER)


#: Timestamps with microseconds (DATETIME alone keeps whole seconds), in UTC.
TIMESTAMP: Final = DATETIME(fsp=6)


def create_mysql_engine(
    url: URL,
    *,
    pool_size: int,
    max_overflow: int,
    pool_timeout: float,
    connect_timeout_s: int,
    statement_timeout_ms: int,
    answer_bound_s: float,
    isolation: dict[str, Any],
) -> Engine:
    """`isolation`: READ COMMITTED (as PostgreSQL runs), or AUTOCOMMIT for reading units
    (adapters/engine.py)."""
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        # As for PostgreSQL (adapters/engine.py): no pre-ping, the unit of work runs its first
        # statement again on another connection when the pooled one is dead; no second
        # ROLLBACK at check-in, the Connection has ended its transaction already.
        pool_pre_ping=False,
        pool_reset_on_return=None,
        **isolation,
        connect_args={
            "charset": "utf8mb4",
            "connect_timeout": connect_timeout_s,
            "read_timeout": answer_bound_s,
            "write_timeout": answer_bound_s,
        },
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        mariadb = "mariadb" in dbapi_connection.get_server_info().lower()
        # MariaDB bounds every statement in seconds; MySQL bounds only SELECTs, in ms.
        bound = (
            f"max_statement_time = {statement_timeout_ms / 1000}"
            if mariadb
            else f"max_execution_time = {statement_timeout_ms}"
        )
        with dbapi_connection.cursor() as cursor:
            cursor.execute(
                "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO',"
                f" time_zone = '+00:00', {bound},"
                # A row lock is waited for as long as a statement may take, not 50 s.
                f" innodb_lock_wait_timeout = {max(1, statement_timeout_ms // 1000)}"
            )

    return engine


def is_name_key_violation(error: exc.IntegrityError, constraint: str) -> bool:
    """A duplicate of the unique key `constraint` (MariaDB: "... for key 'uq_...'")."""
    arguments: tuple[Any, ...] = tuple(getattr(error.orig, "args", ()))
    return (
        len(arguments) >= 2
        and arguments[0] == DUPLICATE_KEY
        and f"{constraint}'" in str(arguments[1])
    )


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Holds the named migration lock on `connection` (a session lock: it outlives commits,
    which every DDL statement makes implicitly)."""
    unbounded(connection)  # migrations may outlast the service's statement bound
    taken = connection.execute(
        text("SELECT GET_LOCK(:name, :wait)"),
        {"name": MIGRATION_LOCK, "wait": MIGRATION_LOCK_WAIT_S},
    ).scalar()
    if taken != 1:
        raise exc.OperationalError(
            "SELECT GET_LOCK", {}, RuntimeError("the migration lock was not granted in time")
        )
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MIGRATION_LOCK})


def unbounded(connection: Connection) -> None:
    """Lifts the statement time bound for the rest of `connection`'s session (its engine is
    one of a command's own, not the service's pool)."""
    connection.exec_driver_sql(
        "SET SESSION max_statement_time = 0"
        if _on_mariadb(connection)
        else "SET SESSION max_execution_time = 0"
    )


def _on_mariadb(connection: Connection) -> bool:
    return bool(getattr(connection.dialect, "is_mariadb", False))

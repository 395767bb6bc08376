"""Counting again what the service's writes keep counted: the user total.

Every insert and delete through the service moves `user_counts` in the same transaction.
Rows written to `users` by other means (a bulk load, a hand edit in psql) leave it behind;
`users-service recount` puts it right.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine, text

from adapters.tables import COUNT_SHARDS

_RECOUNT_TOTAL: Final = text(
    "UPDATE user_counts SET total = "
    "(SELECT count(*) FROM users WHERE users.id % :shards = user_counts.shard)"
)


def recount(engine: Engine) -> None:
    """The user total from the rows of `users`, in one transaction."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            # Writers in progress finish first and new ones wait until the commit, so no
            # write lands between the count and the update. SQLite has one writer anyway.
            connection.exec_driver_sql("LOCK TABLE users IN SHARE MODE")
        connection.execute(_RECOUNT_TOTAL, {"shards": COUNT_SHARDS})

"""Counting again what the service's writes keep counted: the user total and the name ranges.

Every insert and delete through the service moves `user_counts` and the name ranges in the
same statement or transaction. Rows written to `users` by other means (a bulk load, a hand
edit in psql) leave them behind; `users-service recount` puts them right.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine, text

from adapters import name_buckets
from adapters.tables import COUNT_SHARDS

_RECOUNT_TOTAL: Final = text(
    "UPDATE user_counts SET total = "
    "(SELECT count(*) FROM users WHERE users.id % :shards = user_counts.shard)"
)


def recount(engine: Engine) -> None:
    """Both counts from the rows of `users`, in one transaction that holds off writers."""
    with engine.connect() as connection, connection.begin():
        name_buckets.lock_out_writers(connection)
        connection.execute(_RECOUNT_TOTAL, {"shards": COUNT_SHARDS})
        name_buckets.rebuild_locked(connection)

"""Offset pages in name order through `name_buckets`, and keeping its ranges balanced.

An OFFSET walks every row it skips: page 1,000 of 20 walked 19,980 index entries, 1-4 ms of
PostgreSQL's CPU per request. `name_buckets` counts the users per range of the name key,
exactly, in the same transaction as every write (SQLite: migration 0005's triggers; on
PostgreSQL each write appends its change to `name_bucket_changes`, which `fold` moves into
the counts every UPKEEP_INTERVAL_S, so that concurrent writers never queue on a shared count
row: the service's insert and delete statements carry it, a rename trigger the rest). An
offset page sums the counts and the changes not folded yet in key order, finds the range
its first row is in, and walks from that range's lower key only the rows of the range it
skips: O(sqrt(N)) rows and counts instead of N. The page is the same as the plain OFFSET's,
in one statement and so in one snapshot; tests/contract/test_name_ranges.py checks it.

The ranges only decide the speed. `balance` splits a range holding more than twice the
target size (target_size: about 4 sqrt(N)) into ranges of the target size, and merges
neighbours that hold less than the target together. It takes a lock that waits for the
writers in progress and holds off new ones (PostgreSQL: SHARE on `users`, at most
CUTS_PER_ROUND cuts per round; SQLite: the write lock), so the counts it writes are exact.
The service runs `balance` (fold, then cut and merge when a look at the counts finds a
range too large or two too small) at start and then every UPKEEP_INTERVAL_S.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    SmallInteger,
    cast,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from adapters.tables import name_bucket_changes, name_buckets, users

logger = logging.getLogger("users_service.name_buckets")

#: Ranges one balancing round may cut off, so that the writes it holds off wait a bounded
#: time (64 ranges of 4,000 users: about 0.1 s on this machine). A new or migrated database
#: starts as one range and is cut up over the first rounds.
CUTS_PER_ROUND: Final = 64
#: The smallest target size of a range; below it summing counts costs more than walking.
MIN_BUCKET: Final = 256
#: Ranges of this many times sqrt(N) users. Summing a range's count cost PostgreSQL about
#: 0.35 us and walking a row 0.05 us (1,000,000 users, bench/): with a walk of half a range
#: on average, the cheapest size is near 2.7 sqrt(N); 4 sqrt(N) walks at most 8 sqrt(N) rows
#: (8,000 of a million) and sums 250 counts.
SIZE_PER_ROOT: Final = 4
#: Seconds between two rounds of `balance` in a running service: the changes a read must
#: add up stay about a second's writes.
UPKEEP_INTERVAL_S: Final = 1.0
#: How long a balancing round waits for writers in progress before giving up until the
#: next round: new writes wait behind it meanwhile.
LOCK_WAIT_MS: Final = 500


def target_size(users_total: int) -> int:
    return max(MIN_BUCKET, SIZE_PER_ROOT * math.isqrt(users_total))


def skip_to(offset: Any) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """For name order: a condition starting the walk at the range holding row `offset` (from
    0), and how many rows of the walk to skip after it. `offset` is a bound parameter."""
    pending = (
        select(name_bucket_changes.c.lower_key, func.sum(name_bucket_changes.c.delta).label("d"))
        .group_by(name_bucket_changes.c.lower_key)
        .subquery("pending")
    )
    held = name_buckets.c.total + func.coalesce(pending.c.d, 0)
    before = cast(func.sum(held).over(order_by=name_buckets.c.lower_key) - held, BigInteger).label(
        "before"
    )
    ranked = (
        select(name_buckets.c.lower_key, before)
        .select_from(
            name_buckets.outerjoin(pending, pending.c.lower_key == name_buckets.c.lower_key)
        )
        .subquery("ranked")
    )
    edge = (
        select(ranked.c.lower_key, ranked.c.before)
        .where(ranked.c.before <= offset)
        .order_by(ranked.c.lower_key.desc())
        .limit(1)
        .cte("edge")
    )
    start = users.c.name_key >= select(edge.c.lower_key).scalar_subquery()
    return start, offset - select(edge.c.before).scalar_subquery()


def count_change(name_key: Any, delta: int, source: Any) -> Insert:
    """PostgreSQL: appends `delta` for the range holding `name_key` (a column of `source`):
    the adapter's insert and delete statements carry it (renames: migration 0005's trigger)."""
    lower = (
        select(func.max(name_buckets.c.lower_key))
        .where(name_buckets.c.lower_key <= name_key)
        .scalar_subquery()
    )
    return insert(name_bucket_changes).from_select(
        ["lower_key", "delta"], select(lower, literal(delta, SmallInteger)).select_from(source)
    )


_RANGES = text("SELECT lower_key, total FROM name_buckets ORDER BY lower_key")
#: The counts folded so far (the changes not folded yet are a second's writes at most).
_SHAPE = text(
    "SELECT sum(total), max(total), min(pair) FROM (SELECT total, total + lead(total) "
    "OVER (ORDER BY lower_key) AS pair FROM name_buckets) AS ranges"
)
#: Every `size`-th key of a range after its first: the lower keys of the ranges it splits into.
_SPLIT = (
    "SELECT name_key, position FROM (SELECT name_key, row_number() OVER (ORDER BY name_key) "
    "AS position FROM users WHERE {range}) AS ranked "
    "WHERE position > 1 AND position % :size = 1 ORDER BY name_key LIMIT :most"
)
_SPLIT_FROM = text(_SPLIT.format(range="name_key >= :lower"))
_SPLIT_BETWEEN = text(_SPLIT.format(range="name_key >= :lower AND name_key < :upper"))
_SET = text("UPDATE name_buckets SET total = :total WHERE lower_key = :lower")
_ADD = text("INSERT INTO name_buckets (lower_key, total) VALUES (:lower, :total)")
_DROP = text("DELETE FROM name_buckets WHERE lower_key = :lower")
_DROP_ALL = text("DELETE FROM name_buckets WHERE lower_key <> ''")
_COUNT_ALL = text("SELECT count(*) FROM users")
#: PostgreSQL: the changes this snapshot sees, moved into the counts in one statement.
_FOLD = text(
    "WITH moved AS (DELETE FROM name_bucket_changes RETURNING lower_key, delta), "
    "summed AS (SELECT lower_key, sum(delta) AS delta FROM moved GROUP BY lower_key) "
    "UPDATE name_buckets SET total = name_buckets.total + summed.delta FROM summed "
    "WHERE name_buckets.lower_key = summed.lower_key"
)
_TOUCH = text("UPDATE name_buckets SET total = total WHERE lower_key = ''")


#: The target size of a range for a number of users.
Sizing = Callable[[int], int]


def fold(engine: Engine) -> None:
    """Moves the appended changes (PostgreSQL) into the counts. No lock: writers go on
    appending, and a read sees the changes either still appended or already counted."""
    with engine.connect() as connection:
        _fold(connection)


def _fold(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        with connection.begin():
            connection.execute(_FOLD)


def balance(engine: Engine, sizing: Sizing = target_size) -> int:
    """Splits and merges ranges until each holds about the target size; returns how many
    ranges it added or removed. Safe beside a running service and another balance; takes
    no lock when a look at the counts (changes folded first) finds nothing to do."""
    with engine.connect() as connection:
        _fold(connection)
        with connection.begin():
            unbalanced = _unbalanced(connection, sizing)
        if not unbalanced:
            return 0
        with connection.begin():
            lock_out_writers(connection)
            return _balance_locked(connection, sizing)


def rebuild(engine: Engine, sizing: Sizing = target_size) -> int:
    """Counts every range again from `users` (one range holding all, then balanced): after
    rows were written outside the service (adapters/counts.py), or to repair."""
    with engine.connect() as connection, connection.begin():
        lock_out_writers(connection)
        return rebuild_locked(connection, sizing)


def rebuild_locked(connection: Connection, sizing: Sizing = target_size) -> int:
    """rebuild, in a transaction that holds lock_out_writers: balanced to the end, however
    many rounds that takes (an offline repair may hold writes that long)."""
    connection.execute(_DROP_ALL)
    connection.execute(_SET, {"lower": "", "total": connection.execute(_COUNT_ALL).scalar_one()})
    changed = 0
    while cuts := _balance_locked(connection, sizing):
        changed += cuts
    return changed


def _ranges(connection: Connection) -> list[tuple[str, int]]:
    return [(str(lower), int(total)) for lower, total in connection.execute(_RANGES)]


def _unbalanced(connection: Connection, sizing: Sizing) -> bool:
    """Whether a range holds more than twice the target or two neighbours less than it
    together; one row from the database, as the service asks every second."""
    users, largest, smallest_pair = connection.execute(_SHAPE).one()
    size = sizing(int(users or 0))
    return int(largest or 0) > 2 * size or (smallest_pair is not None and int(smallest_pair) < size)


def _balance_locked(connection: Connection, sizing: Sizing) -> int:
    ranges = _ranges(connection)
    size = sizing(sum(total for _, total in ranges))
    changed = _merge(connection, ranges, size)
    budget = CUTS_PER_ROUND
    for index, (lower, total) in enumerate(ranges):
        if total > 2 * size and budget > 0:
            upper = ranges[index + 1][0] if index + 1 < len(ranges) else None
            cuts = _split(connection, lower, upper, total, size, budget)
            changed, budget = changed + cuts, budget - cuts
    if changed:
        logger.info("name ranges rebalanced: %d added or removed, target %d users", changed, size)
    return changed


def lock_out_writers(connection: Connection) -> None:
    """Waits for the writers in progress and holds off new ones until the transaction ends;
    folds every change appended so far (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        # SHARE waits for every transaction that has written users and keeps new writes
        # waiting until commit; those then see the new ranges (a statement's snapshot is
        # taken after its locks, and each statement of the trigger takes its own). Reads go
        # on. lock_timeout: new writes queue behind a waiting lock request; give up instead.
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}")
        connection.exec_driver_sql("LOCK TABLE users IN SHARE MODE")
        # And no fold beside: this one folds every change first.
        connection.exec_driver_sql("LOCK TABLE name_buckets IN EXCLUSIVE MODE")
        connection.execute(_FOLD)
    else:
        # The first write of the transaction takes SQLite's one write lock.
        connection.execute(_TOUCH)


def _merge(connection: Connection, ranges: list[tuple[str, int]], size: int) -> int:
    """Folds each range into the one before it while both hold less than `size` together;
    `ranges` is updated in place. The first range ('') is never removed."""
    merged = 0
    index = 1
    while index < len(ranges):
        (lower, total), (next_lower, next_total) = ranges[index - 1], ranges[index]
        if total + next_total < size:
            connection.execute(_DROP, {"lower": next_lower})
            connection.execute(_SET, {"lower": lower, "total": total + next_total})
            ranges[index - 1 : index + 1] = [(lower, total + next_total)]
            merged += 1
        else:
            index += 1
    return merged


def _split(
    connection: Connection, lower: str, upper: str | None, total: int, size: int, most: int
) -> int:
    """Cuts the range at `lower` (holding `total` users, changes folded) into ranges of
    `size` users from its start, at most `most` cuts; the rest stays one range, cut further
    by later rounds. The walk reads only the rows up to the last cut."""
    bounds = {"lower": lower} if upper is None else {"lower": lower, "upper": upper}
    split_sql = _SPLIT_FROM if upper is None else _SPLIT_BETWEEN
    cuts = [
        (str(key), int(position))
        for key, position in connection.execute(split_sql, {**bounds, "size": size, "most": most})
    ]
    starts = [(lower, 1), *cuts]
    for (key, position), (_, next_position) in zip(starts, [*cuts, ("", total + 1)], strict=True):
        statement = _SET if key == lower else _ADD
        connection.execute(statement, {"lower": key, "total": next_position - position})
    return len(cuts)

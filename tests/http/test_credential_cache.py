"""The credential cache's rules exactly: how long an entry is believed (the horizon, then the
credential's own end), what forgetting removes, and the bound on its size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from domain.accounts import Actor, Role
from entrypoints.http.credential_cache import CredentialCache

NOW: Final = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
ADA: Final = Actor(1, "ada", Role.ADMIN)
BOB: Final = Actor(2, "bob", Role.VIEWER, ends_at=NOW + timedelta(hours=1))
OPERATOR: Final = Actor(None, "operator", Role.ADMIN)


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def test_an_entry_is_believed_for_five_seconds_by_default() -> None:
    clock = Clock()
    cache = CredentialCache(clock=clock)
    cache.put("t:ada", ADA)
    clock.seconds = 104.999
    assert cache.get("t:ada", NOW) is ADA
    clock.seconds = 105.0
    assert cache.get("t:ada", NOW) is None
    clock.seconds = 100.0  # once let go, an entry stays gone
    assert cache.get("t:ada", NOW) is None


def test_the_horizon_is_counted_from_the_last_put() -> None:
    clock = Clock()
    cache = CredentialCache(horizon_s=2.0, clock=clock)
    cache.put("s:ada", ADA)
    clock.seconds = 101.5
    cache.put("s:ada", ADA)
    clock.seconds = 103.25
    assert cache.get("s:ada", NOW) is ADA
    clock.seconds = 103.5
    assert cache.get("s:ada", NOW) is None


def test_an_entry_ends_with_its_credential() -> None:
    cache = CredentialCache(clock=Clock())
    cache.put("t:bob", BOB)
    cache.put("t:ada", ADA)
    end = NOW + timedelta(hours=1)
    assert cache.get("t:bob", end - timedelta(microseconds=1)) is BOB
    assert cache.get("t:bob", end) is None
    assert cache.get("t:bob", NOW) is None  # let go, not only hidden
    assert cache.get("t:ada", NOW + timedelta(days=3650)) is ADA  # no end of its own


def test_an_unknown_key_is_not_found() -> None:
    cache = CredentialCache(clock=Clock())
    cache.put("t:ada", ADA)
    assert cache.get("s:ada", NOW) is None
    cache.forget("t:nobody")
    assert cache.get("t:ada", NOW) is ADA


def test_forgetting_a_key_or_an_account_removes_only_those_entries() -> None:
    cache = CredentialCache(clock=Clock())
    for key, actor in (("t:1", ADA), ("s:1", ADA), ("t:2", BOB), ("t:op", OPERATOR)):
        cache.put(key, actor)
    cache.forget("t:2")
    assert [cache.get(key, NOW) for key in ("t:1", "s:1", "t:2", "t:op")] == [
        ADA,
        ADA,
        None,
        OPERATOR,
    ]
    cache.put("t:2", BOB)
    cache.forget_account(1)
    assert [cache.get(key, NOW) for key in ("t:1", "s:1", "t:2", "t:op")] == [
        None,
        None,
        BOB,
        OPERATOR,
    ]
    cache.forget_account(None)
    assert cache.get("t:op", NOW) is None
    assert cache.get("t:2", NOW) is BOB


def test_ten_thousand_entries_are_kept_and_one_more_starts_it_again_empty() -> None:
    cache = CredentialCache(clock=Clock())
    for number in range(10_000):
        cache.put(f"t:{number}", ADA)
    assert cache.get("t:0", NOW) is ADA
    assert cache.get("t:9999", NOW) is ADA
    cache.put("t:new", BOB)
    assert cache.get("t:0", NOW) is None
    assert cache.get("t:9999", NOW) is None
    assert cache.get("t:new", NOW) is BOB

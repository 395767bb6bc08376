"""Verified credentials kept for a few seconds: a request with a token or session seen lately
costs no database round trip (GET by id with a token, bench/: see the README's figures).

The price is the revocation horizon: a token revoked, a session ended or an account changed
through another worker process (or host) is still accepted here for at most
REVOCATION_HORIZON_S seconds. Within this process the change is seen at once (forget_*).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Final

from domain.accounts import Actor

#: How long a verified credential is believed without asking the database again.
REVOCATION_HORIZON_S: Final = 5.0
#: At most this many credentials are kept; when full, the cache starts again empty.
MAX_ENTRIES: Final = 10_000


class CredentialCache:
    """Actors by credential key ("t:<digest>" for tokens, "s:<digest>" for sessions)."""

    def __init__(
        self,
        horizon_s: float = REVOCATION_HORIZON_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._horizon_s = horizon_s
        self._clock = clock
        self._entries: dict[str, tuple[Actor, float]] = {}

    def get(self, key: str, now: datetime) -> Actor | None:
        """The actor verified for `key` less than the horizon ago, still within its own end."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        actor, checked = entry
        if self._clock() - checked >= self._horizon_s or (
            actor.ends_at is not None and now >= actor.ends_at
        ):
            self._entries.pop(key, None)
            return None
        return actor

    def put(self, key: str, actor: Actor) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (actor, self._clock())

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_account(self, account_id: int | None) -> None:
        stale = [key for key, (actor, _) in self._entries.items() if actor.account_id == account_id]
        for key in stale:
            self._entries.pop(key, None)

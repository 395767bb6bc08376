"""Password hashing never starves the API: it runs in worker threads, two at once."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any, cast

import attrs
import httpx

from adapters.memory import in_memory_uow_factory
from adapters.memory_accounts import in_memory_accounts_factory
from domain import account_use_cases as uc
from domain.accounts import OPERATOR
from entrypoints.http.app import create_app
from entrypoints.http.auth import HASHING_THREADS, Security
from entrypoints.http.resources import UnitOfWorkFactory
from tests.signed_in import PASSWORD, cheap_credentials


class SlowHasher:
    """The real hasher, made to take 0.3 s per verification (as Argon2 may on a busy
    machine), counting how many verify at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def hash(self, password: str) -> str:
        return str(self.inner.hash(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.3)
            return bool(self.inner.verify(password_hash, password))
        finally:
            with self.lock:
                self.running -= 1


def test_the_slow_hasher_verifies_like_the_real_one() -> None:
    slow = SlowHasher(cheap_credentials().hasher)
    stored = slow.hash(PASSWORD)
    assert slow.verify(stored, PASSWORD) and not slow.verify(stored, "other")
    assert (slow.running, slow.most) == (0, 1)


def test_sign_ins_hash_two_at_a_time_while_the_api_answers_at_once() -> None:
    kit = cheap_credentials()
    slow = SlowHasher(kit.hasher)
    accounts = in_memory_accounts_factory()
    uc.create_account(accounts(), kit, OPERATOR, "alice", "viewer", PASSWORD, datetime.now(UTC))
    security = Security(accounts, attrs.evolve(kit, hasher=slow))  # type: ignore[arg-type]
    app = create_app(cast(UnitOfWorkFactory, in_memory_uow_factory()), security=security)
    document = {
        "data": {"type": "sessions", "attributes": {"username": "alice", "password": PASSWORD}}
    }

    async def scenario() -> tuple[float, list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            sign_ins = [
                asyncio.create_task(client.post("/api/v1/session", json=document)) for _ in range(6)
            ]
            await asyncio.sleep(0.05)
            started = time.monotonic()
            health = await client.get("/healthz")
            waited = time.monotonic() - started
            assert health.status_code == 200
            return waited, [(await task).status_code for task in sign_ins]

    waited, statuses = asyncio.run(scenario())
    assert statuses == [201] * 6
    assert waited < 0.25  # not behind any hash
    assert slow.most == HASHING_THREADS == 2

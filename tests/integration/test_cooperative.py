"""The greenlet runner (adapters.cooperative): blocking code whose waits go to the event loop.

Driven with socket pairs instead of a database, so each behaviour is exact: a call waits
without blocking the loop, runs concurrently with others up to the limit, gets its result
or error back, times out at its deadline, and is torn down when its task is cancelled.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from adapters.cooperative import (
    READ,
    WaitTimedOut,
    cooperative_runner,
    in_cooperative_call,
    wait_socket,
)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    left.setblocking(False)
    yield left, right
    left.close()
    right.close()


def _receive(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Blocking code as psycopg2 runs it: wait through wait_socket, then read."""
    assert in_cooperative_call()
    wait_socket(sock.fileno(), READ, time.monotonic() + timeout)
    return sock.recv(100)


def _nothing() -> None:
    pass


def test_a_call_waits_on_the_loop_and_returns_what_it_read(pair: tuple[socket.socket, ...]) -> None:
    left, right = pair

    async def scenario() -> bytes:
        run = cooperative_runner(4, _nothing)
        pending = asyncio.ensure_future(run(_receive, left))
        await asyncio.sleep(0.05)
        assert not pending.done()  # waiting, and the loop still runs this coroutine
        right.send(b"answer")
        result: bytes = await asyncio.wait_for(pending, 5)
        return result

    assert asyncio.run(scenario()) == b"answer"


def test_calls_run_concurrently_up_to_the_limit() -> None:
    pairs = [socket.socketpair() for _ in range(3)]
    for left, _ in pairs:
        left.setblocking(False)
    started: list[int] = []

    def receive(index: int) -> bytes:
        started.append(index)
        return _receive(pairs[index][0])

    async def scenario() -> list[bytes]:
        run = cooperative_runner(2, _nothing)
        tasks = [asyncio.ensure_future(run(receive, i)) for i in range(3)]
        await asyncio.sleep(0.05)
        assert sorted(started) == [0, 1]  # the third waits for a slot
        for index, (_, right) in enumerate(pairs):
            right.send(f"r{index}".encode())
        return list(await asyncio.wait_for(asyncio.gather(*tasks), 5))

    try:
        assert asyncio.run(scenario()) == [b"r0", b"r1", b"r2"]
        assert sorted(started) == [0, 1, 2]
    finally:
        for left, right in pairs:
            left.close()
            right.close()


def test_an_error_in_the_call_reaches_the_awaiter(pair: tuple[socket.socket, ...]) -> None:
    left, right = pair

    def fail_after_a_wait() -> None:
        _receive(left)
        raise LookupError("from inside")

    async def scenario() -> None:
        run = cooperative_runner(1, _nothing)
        pending = asyncio.ensure_future(run(fail_after_a_wait))
        await asyncio.sleep(0.01)
        right.send(b"x")
        await asyncio.wait_for(pending, 5)

    with pytest.raises(LookupError, match="from inside"):
        asyncio.run(scenario())


def test_a_wait_past_its_deadline_raises_inside_the_call(pair: tuple[socket.socket, ...]) -> None:
    left, _ = pair

    def wait_briefly() -> str:
        try:
            _receive(left, timeout=0.05)
        except WaitTimedOut:
            return "timed out"
        return "answered"

    async def scenario() -> str:
        started = time.monotonic()
        result: str = await cooperative_runner(1, _nothing)(wait_briefly)
        assert time.monotonic() - started < 2
        return result

    assert asyncio.run(scenario()) == "timed out"


def test_cancelling_the_task_ends_the_call_and_frees_its_slot(
    pair: tuple[socket.socket, ...],
) -> None:
    left, right = pair
    seen: list[BaseException] = []

    def wait_for_ever() -> None:
        try:
            _receive(left, timeout=60)
        except BaseException as error:
            seen.append(error)
            raise

    async def scenario() -> bytes:
        run = cooperative_runner(1, _nothing)
        pending = asyncio.ensure_future(run(wait_for_ever))
        await asyncio.sleep(0.05)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert len(seen) == 1 and isinstance(seen[0], asyncio.CancelledError)
        right.send(b"next")  # the slot is free and the socket no longer watched
        result: bytes = await asyncio.wait_for(run(_receive, left), 5)
        return result

    assert asyncio.run(scenario()) == b"next"


def test_warm_up_runs_alone_before_the_first_call_and_until_it_succeeds() -> None:
    attempts: list[str] = []

    def warm_up() -> None:
        attempts.append("warm-up")
        if len(attempts) == 1:
            raise ConnectionError("not yet")

    async def scenario() -> None:
        run = cooperative_runner(4, warm_up)
        with pytest.raises(ConnectionError):
            await run(_nothing)
        await asyncio.gather(*(run(_nothing) for _ in range(5)))

    asyncio.run(scenario())
    assert attempts == ["warm-up", "warm-up"]  # retried once it failed, then never again


def test_outside_a_call_wait_socket_refuses() -> None:
    assert not in_cooperative_call()
    with pytest.raises(RuntimeError):
        wait_socket(0, READ, time.monotonic() + 1)

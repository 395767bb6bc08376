"""Blocking adapter code run on the event loop, with psycopg2's waits handed to the loop.

A request's unit of work is ordinary blocking code (SQLAlchemy over psycopg2). Run in a
thread pool, every request pays a hand-off to a thread and back, and the threads fight for
the GIL each time psycopg2 waits for the server: with one worker that cost more CPU than the
request itself (bench/). Here the unit of work runs in a greenlet on the event loop's own
thread instead. psycopg2 calls its wait callback whenever it would block on the socket
(adapters.engine installs it); inside such a greenlet the callback switches back to the
loop, which watches the socket with add_reader/add_writer and switches back once it is
ready. One thread, no GIL hand-offs, and other requests run while one waits.

Only code whose waits all go through psycopg2 may run this way: anything else that blocks
(sqlite3, a full connection pool) would stall the loop. Hence the semaphore: at most `limit`
units of work at once, as many as the pool holds, so a checkout never waits.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, ParamSpec, TypeVar

import greenlet  # type: ignore[import-untyped]

P = ParamSpec("P")
T = TypeVar("T")

READ: Final = "read"
WRITE: Final = "write"


class _Worker(greenlet.greenlet):  # type: ignore[misc]
    """A greenlet running one call for `run_cooperatively`; its parent is the loop's."""


class WaitTimedOut(Exception):
    """The socket did not become ready before the deadline."""


def in_cooperative_call() -> bool:
    """True inside a call made by a runner from `cooperative_runner`."""
    return isinstance(greenlet.getcurrent(), _Worker)


def wait_socket(fileno: int, direction: str, deadline: float) -> None:
    """Inside a cooperative call: lets the loop run until `fileno` is ready for `direction`
    (READ or WRITE), or raises WaitTimedOut at `deadline` (time.monotonic())."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Worker):
        raise RuntimeError("wait_socket outside a cooperative call")
    current.parent.switch((fileno, direction, deadline))


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(WaitTimedOut())


async def _ready(fileno: int, direction: str, deadline: float) -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    if direction == READ:
        loop.add_reader(fileno, _wake, future)
    else:
        loop.add_writer(fileno, _wake, future)
    timer = loop.call_later(max(0.0, deadline - time.monotonic()), _expire, future)
    try:
        await future
    finally:
        timer.cancel()
        if direction == READ:
            loop.remove_reader(fileno)
        else:
            loop.remove_writer(fileno)


async def _call(fn: Callable[[], T]) -> T:
    """fn() in a new greenlet, serving its socket waits until it returns."""
    worker = _Worker(fn)
    worker.gr_context = contextvars.copy_context()
    request = worker.switch()
    while not worker.dead:
        try:
            await _ready(*request)
        except BaseException as error:
            request = worker.throw(error)
        else:
            request = worker.switch()
    result: T = request
    return result


def cooperative_runner(limit: int, warm_up: Callable[[], None]) -> Callable[..., Awaitable[Any]]:
    """`await run(fn, *args)`: fn(*args) in a greenlet on the loop, at most `limit` at once.

    `warm_up()` (which opens a connection) runs alone before the first call, and again
    before later ones until it has succeeded: SQLAlchemy initializes the dialect on the
    first connection under a threading lock, which a second greenlet on the same thread
    would wait for for ever.
    """
    gate: asyncio.Semaphore | None = None
    warming: asyncio.Lock | None = None
    warm = False

    async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        nonlocal gate, warming, warm
        if gate is None or warming is None:
            gate, warming = asyncio.Semaphore(limit), asyncio.Lock()  # in the loop that runs
        if not warm:
            async with warming:
                if not warm:
                    await _call(warm_up)
                    warm = True
        async with gate:
            return await _call(lambda: fn(*args, **kwargs))

    return run

"""Blocking adapter code run on the event loop, with psycopg2's waits handed to the loop.

A request's unit of work is ordinary blocking code (SQLAlchemy's pool and psycopg2). Run in
a thread pool, every request pays a hand-off to a thread and back, and the threads contend
for the GIL each time psycopg2 waits for the server. Here the unit of work runs in a greenlet
on the event loop's own thread instead. psycopg2 calls its wait callback whenever it would
block on the socket (adapters.engine installs it); inside such a greenlet the callback
switches back to the loop, which watches the socket with add_reader/add_writer and switches
back once it is ready. One thread, no GIL hand-offs, and other requests run while one waits.

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
    """A greenlet running one call of a cooperative runner; its parent is the loop's."""


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


class _Call:
    """One blocking call in its greenlet, driven from the loop until it returns.

    The greenlet runs until it has to wait for a socket, then switches back with what it
    waits for; the loop watches the socket and the reader (or writer, or deadline) callback
    switches straight back into the greenlet. The awaiting task sleeps on one future for the
    whole call and wakes once, when the call returns: no future, task step or coroutine per
    wait (this cut a cooperative primary-key read from about 140 to about 100 us of CPU).
    """

    __slots__ = ("_direction", "_fileno", "_loop", "_timer", "_worker", "done")

    def __init__(self, fn: Callable[[], Any], loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._worker = _Worker(fn)
        self._worker.gr_context = contextvars.copy_context()
        self._fileno = -1
        self._direction = READ
        self._timer: asyncio.TimerHandle | None = None
        self.done: asyncio.Future[Any] = loop.create_future()

    def start(self) -> None:
        self._step(None)

    def _step(self, error: BaseException | None) -> None:
        """Resumes the greenlet (with `error` raised at its wait, if any) and either sets
        the result or watches what it now waits for."""
        try:
            request = self._worker.throw(error) if error is not None else self._worker.switch()
        except BaseException as failure:
            if not self.done.done():
                self.done.set_exception(failure)
            return
        if self._worker.dead:
            if not self.done.done():
                self.done.set_result(request)
            return
        self._fileno, self._direction, deadline = request
        if self._direction == READ:
            self._loop.add_reader(self._fileno, self._ready)
        else:
            self._loop.add_writer(self._fileno, self._ready)
        delay = max(0.0, deadline - time.monotonic())
        self._timer = self._loop.call_later(delay, self._expired)

    def _unwatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._direction == READ:
            self._loop.remove_reader(self._fileno)
        else:
            self._loop.remove_writer(self._fileno)

    def _ready(self) -> None:
        self._unwatch()
        self._step(None)

    def _expired(self) -> None:
        self._timer = None
        self._unwatch()
        self._step(WaitTimedOut())

    def abandon(self, error: BaseException) -> None:
        """The awaiting task was cancelled: stop watching and end the call with `error`
        raised at its wait (psycopg2 then discards the connection mid-query)."""
        if not self._worker:  # finished (or never started)
            return
        self._unwatch()
        self._step(error)


async def _call(fn: Callable[[], T]) -> T:
    """fn() in a new greenlet, serving its socket waits until it returns."""
    call = _Call(fn, asyncio.get_running_loop())
    call.start()
    try:
        result: T = await call.done
    except asyncio.CancelledError as cancelled:
        call.abandon(cancelled)
        raise
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

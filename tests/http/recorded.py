"""What the service sends and logs, as the exact tests expect and record it: the headers it
adds to every answer, written out, and the records a logger hands to its handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

POLICY = (
    b"default-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    b"form-action 'self'; object-src 'none'"
)
#: The security headers ServiceMiddleware puts last on every answer, in this order.
SECURITY = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", POLICY),
]


class _Keeper(logging.Handler):
    """Keeps the records as they reach a handler, unformatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def records(name: str, level: int = logging.INFO) -> Iterator[list[logging.LogRecord]]:
    """The records logger `name` handles while it is set to `level`, as they come."""
    logger = logging.getLogger(name)
    keeper = _Keeper()
    previous = logger.level
    logger.setLevel(level)
    logger.addHandler(keeper)
    try:
        yield keeper.records
    finally:
        logger.removeHandler(keeper)
        logger.setLevel(previous)


def lines(kept: list[logging.LogRecord]) -> list[tuple[str, str]]:
    """Each record's level name and message."""
    return [(record.levelname, record.getMessage()) for record in kept]

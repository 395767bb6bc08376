"""uvicorn's httptools protocol with the limits it lacks: a bound on the request line and
headers, a deadline for them, and our headers on the answers uvicorn writes itself.

httptools parses fast but uvicorn sets it no limit: a 100 MB header line was read and kept
(`self.url += ...` per chunk), stalling the event loop for seconds; five unfinished 40 MB
headers kept 176 MB; a connection that never finished its headers was never closed. Here
the bytes of a request's head (request line and headers) are counted as they arrive, and
at most HEAD_BYTES_MAX of them reach the parser: past that the request gets a 414 (its URL
alone is too long) or 431, and the connection closes. A head must be complete within
HEAD_TIMEOUT_S of its first byte (of the connection, for the first request), else 408 and
close. Once the head is complete nothing is counted: the body has its own limits
(entrypoints.http.middleware). Selected by `users-service serve` through uvicorn's `http`
setting (`HTTP_PROTOCOL`).
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.http.jsonapi import JSONAPI_MEDIA_TYPE, error_document, json_bytes
from entrypoints.http.security import CACHE_CONTROL_HEADER, NOT_STORED, raw_security_headers

#: The largest request head (request line and headers) read: Node.js's default. Requests to
#: this API need well under 1 KB; a URL near the limit is refused whole, not truncated.
HEAD_BYTES_MAX: Final = 16 * 1024
#: Seconds a request's head may take to arrive.
HEAD_TIMEOUT_S: float = 5.0
#: For uvicorn's `http` setting (an import string: every worker process imports it).
HTTP_PROTOCOL: Final = "entrypoints.http_protocol:BoundedHttpToolsProtocol"

logger = logging.getLogger("users_service.http")

_HEADERS: Final = b"".join(
    name + b": " + value + b"\r\n"
    for name, value in [*raw_security_headers(), (CACHE_CONTROL_HEADER, NOT_STORED)]
)
_DETAILS: Final = {
    400: "the request is not valid HTTP/1.1",
    408: f"the request line and headers must arrive within {HEAD_TIMEOUT_S:g} seconds",
    414: f"the request line must be at most {HEAD_BYTES_MAX} bytes",
    431: f"the request line and headers must be at most {HEAD_BYTES_MAX} bytes together",
}


def refusal(status: int) -> bytes:
    """A whole HTTP/1.1 answer with a JSON:API error document that closes the connection,
    for a request the app never sees; the same headers as the app's answers."""
    phrase = HTTPStatus(status).phrase
    error = {
        "status": str(status),
        "code": phrase.lower().replace(" ", "_"),
        "title": phrase,
        "detail": _DETAILS[status],
    }
    body = json_bytes(error_document([error], "/"))
    return b"".join(
        [
            f"HTTP/1.1 {status} {phrase}\r\n".encode(),
            _HEADERS,
            f"content-type: {JSONAPI_MEDIA_TYPE}\r\n".encode(),
            f"content-length: {len(body)}\r\n".encode(),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a size bound and a deadline for each request's head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # the bytes arriving belong to a request's head
        self._head_bytes = 0
        self._heads_complete = 0
        self._url_complete = False  # the request line has ended
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._in_head:
            super().data_received(data)
            return
        if self._head_timer is None:
            self._arm()
        room = HEAD_BYTES_MAX - self._head_bytes
        if not self._url_complete and b"\n" in data[:room]:
            self._url_complete = True  # the request line has ended
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        # Only what fits reaches the parser; the rest only if the head ended within it.
        self._head_bytes = HEAD_BYTES_MAX
        heads = self._heads_complete
        if room:
            super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self._heads_complete == heads:
            self._refuse(431 if self._url_complete else 414)
            return
        self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._heads_complete += 1
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # Whatever arrives next is the head of the next request on this connection.
        self._in_head, self._head_bytes, self._url_complete = True, 0, False
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own answer to bytes httptools cannot parse, with our headers.
        self._refuse(400)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._in_head:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # answering the previous request: close after it
            return
        if self._head_bytes:
            self._refuse(408)
        else:
            self.transport.close()

    def _refuse(self, status: int) -> None:
        self._disarm()
        if status != 400:  # uvicorn has logged its own warning for a 400
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown client"
            logger.warning("refused a request head from %s: %d", client, status)
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(refusal(status))
        self.transport.close()

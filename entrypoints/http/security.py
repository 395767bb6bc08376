"""The headers on every response the service sends, defined once: ServiceMiddleware adds
them to the app's answers, and entrypoints.http_protocol to uvicorn's own (a request that
is not HTTP, headers too large or too slow)."""

from __future__ import annotations

from typing import Final

#: The SPA runs AngularJS in CSP mode: no inline scripts or styles, nothing from elsewhere.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)

SECURITY_HEADERS: Final = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
)

#: API answers are not kept by caches (they hold personal data and change under writes) ...
NOT_STORED: Final = b"no-store"
#: ... except a user fetched by GET, which carries an ETag so that a client keeps it and
#: revalidates it with If-None-Match (a 304 costs the service less than a 200).
REVALIDATED: Final = b"no-cache"
CACHE_CONTROL_HEADER: Final = b"cache-control"


def raw_security_headers() -> list[tuple[bytes, bytes]]:
    """SECURITY_HEADERS as ASGI and HTTP/1.1 write them: lower-case names, bytes."""
    return [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS]

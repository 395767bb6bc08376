"""The security headers on every response (middleware.ServiceMiddleware adds them)."""

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

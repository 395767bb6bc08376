"""Links in documents: absolute, from the request's scheme and host, with query strings
encoded as the application/x-www-form-urlencoded serializer does.

Several JSON:API clients cannot follow a relative link (they join it onto their base URL
twice, or refuse it), and a raw `[` or `]` makes a link an invalid URI-reference; one
encoding for every link, `self` included, keeps them all comparable. The Host header is
trusted only because the host check (hosts.py) refused every host not allowed before this
runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

from starlette.types import Scope

Params = Sequence[tuple[str, str]]


def origin(scope: Scope) -> str:
    """`scheme://host[:port]` as the client addressed this service."""
    scheme = scope.get("scheme", "http")
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return f"{scheme}://{value.decode('latin-1')}"
    server = scope.get("server")
    if server is None:
        return f"{scheme}://localhost"
    host, port = server
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def link(base: str, path: str, params: Params = ()) -> str:
    """`base` + `path`, then `?` and `params` form-urlencoded when there are any."""
    return f"{base}{path}?{urlencode(params)}" if params else f"{base}{path}"


def self_link(scope: Scope) -> str:
    """The request's own URL, its query re-encoded like every other link's."""
    query: bytes = scope.get("query_string", b"")
    params = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return link(origin(scope), scope.get("path", "/"), params)

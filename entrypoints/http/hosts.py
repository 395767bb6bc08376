"""The host check: requests whose Host header names a host not allowed get a 400.

Links are built from the Host header (links.py), so an unchecked one would put any name a
client sends into the service's documents; and a loopback-bound service that answered any
name could be reached from a browser page through DNS rebinding.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from entrypoints.http.errors import RequestError, error_response


def _split(host: str) -> tuple[str, str | None]:
    """`"Example.org:8000"` -> ("example.org", "8000"); `"[::1]"` -> ("[::1]", None)."""
    host = host.strip().lower()
    name, colon, port = host.rpartition(":")
    if not colon or name.endswith(":") or ("[" in host and not name.endswith("]")):
        return host, None  # no port (a bare IPv6 address in brackets keeps its colons)
    return name, port


class AllowedHosts:
    """Which Host headers to answer. An entry without a port allows its name on any port;
    `name:port` only that port."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self._names: set[str] = set()
        self._exact: set[str] = set()
        for host in hosts:
            name, port = _split(host)
            if port is None:
                self._names.add(name)
            else:
                self._exact.add(f"{name}:{port}")

    def allows(self, host: str) -> bool:
        host = host.strip().lower()
        return host in self._exact or _split(host)[0] in self._names


class AllowedHostsMiddleware:
    """Answers 400 (an error document, `source.header` Host) to a request for another host."""

    def __init__(self, app: ASGIApp, *, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = AllowedHosts(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        if self.hosts.allows(host.decode("latin-1")):
            await self.app(scope, receive, send)
            return
        error = RequestError(
            400,
            "host_not_allowed",
            "Host not allowed",
            "this service does not answer for the host named in the Host header",
            header="Host",
        )
        # The self link is the path alone: the host it would be built from is the problem.
        response = error_response(scope["path"], error.status, [error.error])
        await response(scope, receive, send)

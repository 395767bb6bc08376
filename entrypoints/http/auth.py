"""Who is asking: the actor behind a request's bearer token or session cookie.

The HTTP layer only finds out who the actor is; what the actor may do is the domain's policy,
applied by the use cases. Lookups the cache (credential_cache.py) cannot answer run in Starlette's
worker threads; every account request (password hashing is slow on purpose) in worker
threads too, at most HASHING_THREADS at once, so that a flood of sign-ins neither blocks the
event loop nor holds up the credential lookups of other requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final, TypeVar

import anyio
import anyio.to_thread
import attrs
from starlette.requests import Request
from starlette.responses import Response

from domain.account_ports import AccountsUnitOfWork, Credentials
from domain.account_use_cases import authenticate_session, authenticate_token
from domain.accounts import Actor, NotSignedInError, secret_digest
from entrypoints.http.credential_cache import CredentialCache
from entrypoints.http.errors import RequestError

T = TypeVar("T")

#: The session cookie's name.
SESSION_COOKIE: Final = "users_session"
#: Where the guard leaves the request's actor for the endpoint.
ACTOR_KEY: Final = "users_service.actor"
#: Account requests running at once: Argon2 keeps a core busy per hash, so more would only
#: slow the API down on a small machine.
HASHING_THREADS: Final = 2
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

AccountsFactory = Callable[[], AccountsUnitOfWork]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@attrs.frozen
class Security:
    """What the HTTP layer needs to find out who is asking and to manage accounts."""

    accounts: AccountsFactory
    credentials: Credentials
    clock: Callable[[], datetime] = _utc_now


class Authenticator:
    def __init__(self, security: Security, cache: CredentialCache | None = None) -> None:
        self.security = security
        self.cache = cache or CredentialCache()
        self._limiter: anyio.CapacityLimiter | None = None

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Runs `function(*args)` in a worker thread, at most HASHING_THREADS at once."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(HASHING_THREADS)
        return await anyio.to_thread.run_sync(partial(function, *args), limiter=self._limiter)

    async def actor(self, request: Request) -> tuple[Actor, str | None]:
        """The actor and, when it came by cookie, the session secret. Raises NotSignedInError."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, secret = header.partition(" ")
            secret = secret.strip()
            if scheme.lower() != "bearer" or not secret:
                raise NotSignedInError("the Authorization header must be 'Bearer TOKEN'")
            return await self._verify("t:", secret, authenticate_token), None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            return await self._verify("s:", cookie, authenticate_session), cookie
        raise NotSignedInError("no credentials")

    async def _verify(
        self,
        kind: str,
        secret: str,
        check: Callable[[AccountsUnitOfWork, str, datetime], Actor],
    ) -> Actor:
        key = kind + secret_digest(secret)
        now = self.security.clock()
        actor = self.cache.get(key, now)
        if actor is None:
            lookup = partial(check, self.security.accounts(), secret, now)
            actor = await anyio.to_thread.run_sync(lookup)
            self.cache.put(key, actor)
        return actor

    def guard(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """`endpoint` for signed-in requests only: 401 without valid credentials, 403 for a
        cookie-authenticated write from another origin; the actor in the scope."""

        async def guarded(request: Request) -> Response:
            actor, session = await self.actor(request)
            if session is not None:
                check_origin(request)
            request.scope[ACTOR_KEY] = actor
            return await endpoint(request)

        return guarded


def actor_of(request: Request) -> Actor:
    """The actor the guard found for this request."""
    actor: Actor = request.scope[ACTOR_KEY]
    return actor


def with_address(actor: Actor, request: Request) -> Actor:
    """The actor with the client's address, for the audit log."""
    client = request.client
    return attrs.evolve(actor, address=client.host if client else "")


def own_origin(request: Request) -> str:
    scheme = request.url.scheme
    host = request.headers.get("host", "")
    return f"{scheme}://{host}"


def check_origin(request: Request) -> None:
    """A cookie-authenticated write must come from the service's own pages: when the browser
    names the page's origin, it must be ours (SameSite=Strict is the first line; this holds
    where an old browser or a sibling subdomain gets a cookie through)."""
    if request.method in _SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request):
        raise RequestError(
            403,
            "cross_origin",
            "Cross-origin request refused",
            "a request signed in by cookie must come from this service's own pages",
            header="Origin",
        )


def session_cookie(request: Request, secret: str) -> str:
    """The Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS (also
    behind a proxy whose X-Forwarded-Proto the operator trusts: `serve --trusted-proxy`)."""
    secure = "; Secure" if request.url.scheme == "https" else ""
    return f"{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/{secure}"


def cleared_cookie(request: Request) -> str:
    secure = "; Secure" if request.url.scheme == "https" else ""
    return f"{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"

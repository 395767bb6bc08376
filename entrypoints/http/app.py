"""The Starlette application: routes, exception handlers, middleware and lifespan, no decorators."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from domain.errors import DomainError, StorageUnavailableError
from domain.history import DEFAULT_RETENTION
from domain.history_use_cases import purge_deleted_users
from entrypoints.config import ANY_HOST
from entrypoints.http.account_routes import account_routes
from entrypoints.http.auth import Authenticator, Security
from entrypoints.http.auth_errors import auth_exception_handlers
from entrypoints.http.errors import exception_handlers
from entrypoints.http.history_routes import history_routes
from entrypoints.http.hosts import AllowedHostsMiddleware
from entrypoints.http.ids import CONVERTOR_NAME
from entrypoints.http.middleware import BodyLimitMiddleware, ServiceMiddleware
from entrypoints.http.openapi_security import secured_openapi_bytes
from entrypoints.http.resources import (
    UnitOfWorkFactory,
    UserResources,
    health,
    readiness_endpoint,
)
from entrypoints.http.webclient import webclient_routes

logger = logging.getLogger("users_service.app")

#: Endpoints running at once: the thread pool's size (anyio's default is 40; more threads
#: than the database can serve only contend for the GIL: with 40, a single-user GET under 32
#: clients cost about 8% more CPU than with 8-16). bootstrap sizes the
#: connection pool to match, so no endpoint waits for a connection and none is opened per
#: request.
ENDPOINT_THREADS: Final = 16
#: Deleted users past their retention period are purged at start and then this often.
PURGE_EVERY: Final = timedelta(hours=1)

#: How the blocking endpoints run: `await run(endpoint, request)`. The default is Starlette's
#: thread pool; the wiring passes one that gives up on a database that never answers.
Runner = Callable[..., Awaitable[Any]]

COLLECTION_METHODS = ["GET", "POST"]
ITEM_METHODS = ["GET", "PATCH", "DELETE"]


Endpoint = Callable[[Request], Response]
AsyncEndpoint = Callable[[Request], Awaitable[Response]]


def _run_with(run: Runner, endpoint: Endpoint) -> AsyncEndpoint:
    """`endpoint` (blocking: it reaches the database) as an async endpoint run by `run`."""

    async def run_endpoint(request: Request) -> Response:
        response: Response = await run(endpoint, request)
        return response

    return run_endpoint


def _inline(endpoint: Endpoint) -> AsyncEndpoint:
    """`endpoint` (never blocks) as an async endpoint run on the loop: no thread, no wait
    for a database slot, so /healthz answers while every slot is busy."""

    async def run_endpoint(request: Request) -> Response:
        return endpoint(request)

    return run_endpoint


def _openapi_endpoint() -> Endpoint:
    content = secured_openapi_bytes()

    def openapi(request: Request) -> Response:
        return Response(content, media_type="application/json")

    return openapi


def api_routes(
    uow_factory: UnitOfWorkFactory,
    readiness: Callable[[], None] | None,
    run: Runner,
    auth: Authenticator,
    retention: timedelta,
) -> list[BaseRoute]:
    users = UserResources(uow_factory)
    collection = auth.guard(_run_with(run, users.collection))
    item = auth.guard(_run_with(run, users.item))
    return [
        *account_routes(auth),
        *history_routes(uow_factory, retention, lambda e: auth.guard(_run_with(run, e))),
        Route("/api/v1/users", collection, methods=COLLECTION_METHODS),
        Route("/api/v1/users.json", collection, methods=COLLECTION_METHODS),
        Route(f"/api/v1/users/{{user_id:{CONVERTOR_NAME}}}", item, methods=ITEM_METHODS),
        Route(f"/api/v1/users/{{user_id:{CONVERTOR_NAME}}}.json", item, methods=ITEM_METHODS),
        Route("/api/v1/openapi.json", _inline(_openapi_endpoint()), methods=["GET"]),
        Route("/healthz", _inline(health), methods=["GET"]),
        Route("/readyz", _run_with(run, readiness_endpoint(readiness)), methods=["GET"]),
    ]


def runner_giving_up_after(seconds: float) -> Runner:
    """Starlette's thread pool, except that an endpoint still blocked after `seconds` (on a
    database that took a query and never answers, which no driver timeout notices) is left
    to finish on its own thread and the request answered StorageUnavailableError (503)."""

    async def run(function: Callable[..., Any], *args: Any) -> Any:
        try:
            # asyncio's own timeout rather than anyio.fail_after: the same bound, without a
            # cancel scope's bookkeeping on every request (measured in bench/).
            async with asyncio.timeout(seconds):
                return await anyio.to_thread.run_sync(
                    functools.partial(function, *args), abandon_on_cancel=True
                )
        except TimeoutError:
            raise StorageUnavailableError("the database did not answer in time") from None

    return run


def _purging(uow_factory: UnitOfWorkFactory, retention: timedelta) -> Callable[[], None]:
    """One purge of the deleted users past `retention`, logged; a failure is logged too and
    the next round tries again."""

    def purge() -> None:
        try:
            purged = purge_deleted_users(uow_factory, datetime.now(UTC), retention)
        except Exception as error:  # the next round tries again; the service goes on
            reason = error if isinstance(error, DomainError) else type(error).__name__
            logger.warning("purging deleted users failed: %s", reason)
            return
        if purged:
            logger.info("purged %d users deleted more than %s ago", purged, retention)

    return purge


def _lifespan(purge: Callable[[], None]) -> Callable[[Starlette], Any]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = ENDPOINT_THREADS

        async def purge_now_and_then() -> None:
            while True:
                await anyio.to_thread.run_sync(purge, abandon_on_cancel=True)
                await anyio.sleep(PURGE_EVERY.total_seconds())

        logger.info("users-service ready")
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(purge_now_and_then)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                logger.info("users-service stopping")

    return lifespan


def create_app(
    uow_factory: UnitOfWorkFactory,
    readiness: Callable[[], None] | None = None,
    *,
    security: Security,
    cors_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    run: Runner = run_in_threadpool,
    retention: timedelta = DEFAULT_RETENTION,
) -> Starlette:
    """The whole HTTP service over any unit-of-work factory (SQL in production, memory in tests).

    `readiness` raises StorageUnavailableError when the database does not answer (`/readyz`).
    CORS stays off unless `cors_origins` names the origins allowed to call the API. With
    `allowed_hosts`, a request for another host (Host header) gets a 400 (hosts.py); None or
    `*` among them answers any host. `run` runs the endpoints that reach storage (Starlette's
    thread pool unless told otherwise). `security` says who is signed in (auth.py). Deleted
    users stay restorable for `retention`, then a task of the app's lifespan purges them.
    """
    # One layer for the headers, the log and the body limit; with CORS, the body limit stays
    # inside CORS so that a refused body still carries the CORS headers.
    middleware = [Middleware(ServiceMiddleware, limit_body=not cors_origins)]
    if allowed_hosts is not None and ANY_HOST not in allowed_hosts:
        middleware.append(Middleware(AllowedHostsMiddleware, hosts=allowed_hosts))
    if cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors_origins),
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=[
                    "Accept",
                    "Authorization",
                    "Content-Type",
                    "If-Match",
                    "If-None-Match",
                ],
                expose_headers=["ETag", "Location", "Retry-After"],
                max_age=600,
            )
        )
        middleware.append(Middleware(BodyLimitMiddleware))
    return Starlette(
        routes=[
            *api_routes(uow_factory, readiness, run, Authenticator(security), retention),
            *webclient_routes(),
        ],
        middleware=middleware,
        exception_handlers={**exception_handlers(), **auth_exception_handlers()},
        lifespan=_lifespan(_purging(uow_factory, retention)),
    )

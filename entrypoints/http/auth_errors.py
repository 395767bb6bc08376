"""How the account and credential errors look on the wire (beside the users' catalogue in
errors.py, registered with it by app.py). AccountValidationError is a UserValidationError
and goes through that catalogue's 422."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from domain.accounts import (
    AccountNameTakenError,
    AccountNotFoundError,
    LastAdminError,
    NotSignedInError,
    SetupCodeError,
    SignInFailedError,
    TokenNotFoundError,
    TooManyAttemptsError,
)
from domain.policy import ForbiddenError
from entrypoints.http.errors import Entry, ErrorObject, error_response
from entrypoints.http.links import self_link

#: The challenge every 401 carries (RFC 6750).
WWW_AUTHENTICATE: Final = {"WWW-Authenticate": 'Bearer realm="users-service"'}

AUTH_CATALOGUE: Final[Mapping[type[Exception], Entry]] = {
    NotSignedInError: Entry(401, "not_signed_in", "Not signed in"),
    SignInFailedError: Entry(401, "sign_in_failed", "Sign-in failed"),
    ForbiddenError: Entry(403, "forbidden", "Forbidden"),
    SetupCodeError: Entry(403, "invalid_setup_code", "Invalid set-up link"),
    AccountNotFoundError: Entry(404, "not_found", "Not found"),
    TokenNotFoundError: Entry(404, "not_found", "Not found"),
    AccountNameTakenError: Entry(409, "name_taken", "Name already taken"),
    LastAdminError: Entry(409, "last_admin", "Last administrator"),
    TooManyAttemptsError: Entry(429, "too_many_attempts", "Too many attempts"),
}


def _detail(exc: Exception) -> str:
    if isinstance(exc, NotSignedInError):
        return "sign in first, or send Authorization: Bearer TOKEN"
    if isinstance(exc, AccountNotFoundError):
        return "no such account"
    return str(exc)


def _headers(exc: Exception) -> dict[str, str]:
    if isinstance(exc, (NotSignedInError, SignInFailedError)):
        return dict(WWW_AUTHENTICATE)
    if isinstance(exc, TooManyAttemptsError):
        return {"Retry-After": str(max(1, math.ceil(exc.retry_after.total_seconds())))}
    return {}


async def _handle(request: Request, exc: Exception) -> Response:
    entry = AUTH_CATALOGUE[next(kind for kind in type(exc).__mro__ if kind in AUTH_CATALOGUE)]
    error: ErrorObject = {
        "status": str(entry.status),
        "code": entry.code,
        "title": entry.title,
        "detail": _detail(exc),
    }
    if isinstance(exc, AccountNameTakenError):
        error["source"] = {"pointer": "/data/attributes/name"}
    if isinstance(exc, TooManyAttemptsError):
        error["meta"] = {"retry_after": math.ceil(exc.retry_after.total_seconds())}
    return error_response(self_link(request.scope), entry.status, [error], _headers(exc))


def auth_exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    return dict.fromkeys(AUTH_CATALOGUE, _handle)

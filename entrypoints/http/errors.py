"""The error catalogue: every failure a client can see, as a JSON:API error document.

Domain errors map to a status, a stable `code` and a fixed `title` here, once; the mapping is
registered as Starlette exception handlers, so endpoints hold no try/except for them. Problems
with the request itself (media type, document shape, query string) are `RequestError`s that
carry their own status and source. Unexpected exceptions become a generic 500 whose detail
never leaves the server log.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

from attrs import frozen
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from domain.errors import (
    DuplicateNameError,
    InvalidCursorError,
    InvalidQueryError,
    StaleVersionError,
    StorageUnavailableError,
    UserNotFoundError,
    UserValidationError,
)
from entrypoints.http.jsonapi import (
    JSONAPI_MEDIA_TYPE,
    DocumentError,
    error_document,
    json_bytes,
)
from entrypoints.http.links import self_link
from entrypoints.http.security import NOT_STORED, SECURITY_HEADERS

logger = logging.getLogger("users_service.errors")

#: Seconds a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS: Final = 5

ErrorObject = dict[str, Any]


class RequestError(Exception):
    """A problem with the request itself, answered with its own status and source."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
        header: str | None = None,
        meta: Mapping[str, Any] | None = None,
        type_link: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.headers = dict(headers or {})
        error: ErrorObject = {
            "status": str(status),
            "code": code,
            "title": title,
            "detail": detail,
        }
        source = {
            key: value
            for key, value in (("pointer", pointer), ("parameter", parameter), ("header", header))
            if value is not None
        }
        if source:
            error["source"] = source
        if meta:
            error["meta"] = dict(meta)
        if type_link:
            error["links"] = {"type": type_link}
        self.error: ErrorObject = error


def invalid_parameter(parameter: str, detail: str, **extra: Any) -> RequestError:
    """A 400 for one bad query parameter (`source.parameter` names it)."""
    return RequestError(
        400, "invalid_parameter", "Invalid query parameter", detail, parameter=parameter, **extra
    )


def escape_pointer_token(token: str) -> str:
    """RFC 6901: `~` becomes `~0` and `/` becomes `~1`."""
    return token.replace("~", "~0").replace("/", "~1")


@frozen
class Entry:
    """How one exception class looks on the wire."""

    status: int
    code: str
    title: str


CATALOGUE: Final[Mapping[type[Exception], Entry]] = {
    UserValidationError: Entry(422, "invalid_attribute", "Invalid attribute"),
    DuplicateNameError: Entry(409, "name_taken", "Name already taken"),
    UserNotFoundError: Entry(404, "not_found", "Not found"),
    StaleVersionError: Entry(412, "stale_version", "Precondition failed"),
    StorageUnavailableError: Entry(503, "storage_unavailable", "Storage unavailable"),
    InvalidQueryError: Entry(400, "invalid_parameter", "Invalid query parameter"),
    InvalidCursorError: Entry(400, "invalid_parameter", "Invalid query parameter"),
}

INTERNAL_ERROR: Final = Entry(500, "internal_error", "Internal server error")


def _base(entry: Entry, detail: str) -> ErrorObject:
    return {"status": str(entry.status), "code": entry.code, "title": entry.title, "detail": detail}


def _validation_errors(request: Request, exc: UserValidationError) -> list[ErrorObject]:
    entry = CATALOGUE[UserValidationError]
    errors = []
    for failure in exc.errors:
        error = {
            "status": str(entry.status),
            "code": failure.code,
            "title": entry.title,
            "detail": failure.detail,
            "meta": {"attribute": failure.field},
        }
        if failure.code == "missing":
            # JSON:API 1.1: a pointer names something present in the request document.
            error["source"] = {"pointer": "/data/attributes"}
        else:
            error["source"] = {"pointer": "/data/attributes/" + escape_pointer_token(failure.field)}
        errors.append(error)
    return errors


def _duplicate_name(request: Request, exc: DuplicateNameError) -> list[ErrorObject]:
    error = _base(CATALOGUE[DuplicateNameError], "a user with this name already exists")
    error["source"] = {"pointer": "/data/attributes/name"}
    return [error]


def _not_found(request: Request, exc: UserNotFoundError) -> list[ErrorObject]:
    return [_base(CATALOGUE[UserNotFoundError], f"user {exc.user_id} does not exist")]


def _stale_version(request: Request, exc: StaleVersionError) -> list[ErrorObject]:
    error = _base(
        CATALOGUE[StaleVersionError],
        "the user has changed since the ETag in If-Match was issued; fetch it again",
    )
    error["source"] = {"header": "If-Match"}
    return [error]


def _storage_unavailable(request: Request, exc: StorageUnavailableError) -> list[ErrorObject]:
    logger.warning("storage unavailable: %s", exc)
    return [
        _base(
            CATALOGUE[StorageUnavailableError],
            "the database cannot be reached right now; try again shortly",
        )
    ]


def _invalid_query(request: Request, exc: InvalidQueryError) -> list[ErrorObject]:
    error = _base(CATALOGUE[InvalidQueryError], exc.detail)
    error["source"] = {"parameter": exc.parameter}
    return [error]


def _invalid_cursor(request: Request, exc: InvalidCursorError) -> list[ErrorObject]:
    error = _base(CATALOGUE[InvalidCursorError], exc.reason)
    parameter = "page[before]" if "page[before]" in request.query_params else "page[after]"
    error["source"] = {"parameter": parameter}
    return [error]


_DESCRIBE: Final[Mapping[type[Exception], Callable[[Request, Any], list[ErrorObject]]]] = {
    UserValidationError: _validation_errors,
    DuplicateNameError: _duplicate_name,
    UserNotFoundError: _not_found,
    StaleVersionError: _stale_version,
    StorageUnavailableError: _storage_unavailable,
    InvalidQueryError: _invalid_query,
    InvalidCursorError: _invalid_cursor,
}
assert set(_DESCRIBE) == set(CATALOGUE)

_EXTRA_HEADERS: Final[Mapping[type[Exception], Mapping[str, str]]] = {
    StorageUnavailableError: {"Retry-After": str(RETRY_AFTER_SECONDS)},
}


def error_response(
    request_path: str,
    status: int,
    errors: list[ErrorObject],
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        json_bytes(error_document(errors, request_path)),
        status_code=status,
        headers=headers,
        media_type=JSONAPI_MEDIA_TYPE,
    )


def _self_link(request: Request) -> str:
    return self_link(request.scope)


def _domain_error(request: Request, exc: Exception) -> Response:
    kind = type(exc)
    while kind not in _DESCRIBE:  # a subclass of a catalogued error
        kind = kind.__mro__[1]
    errors = _DESCRIBE[kind](request, exc)
    return error_response(
        _self_link(request), CATALOGUE[kind].status, errors, _EXTRA_HEADERS.get(kind)
    )


def _request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return error_response(_self_link(request), exc.status, [exc.error], exc.headers)


_DOCUMENT_TITLES: Final = {
    400: "Invalid request document",
    403: "Client-generated id not allowed",
    409: "Conflict with this endpoint",
}


def _document_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DocumentError)
    error: ErrorObject = {
        "status": str(exc.status),
        "code": exc.code,
        "title": _DOCUMENT_TITLES[exc.status],
        "detail": exc.detail,
        "source": {"pointer": exc.pointer},
    }
    return error_response(_self_link(request), exc.status, [error])


_HTTP_CODES: Final = {404: "not_found", 405: "method_not_allowed"}


def http_error_object(status: int, detail: str | None = None) -> ErrorObject:
    phrase = HTTPStatus(status).phrase
    code = _HTTP_CODES.get(status, phrase.lower().replace(" ", "_").replace("-", "_"))
    return {"status": str(status), "code": code, "title": phrase, "detail": detail or phrase}


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        detail = f"nothing is served at {_cut(request.url.path)}"
    elif exc.status_code == 405:
        allowed = ", ".join(
            sorted(method.strip() for method in headers.get("Allow", "").split(","))
        )
        headers["Allow"] = allowed
        detail = f"{request.method} is not allowed here; allowed: {allowed}"
    else:
        detail = HTTPStatus(exc.status_code).phrase
    return error_response(
        _self_link(request), exc.status_code, [http_error_object(exc.status_code, detail)], headers
    )


#: The most characters of a path or an exception's message one log line carries.
_LOGGED_TEXT_MAX: Final = 200


def _cut(text: str) -> str:
    return text if len(text) <= _LOGGED_TEXT_MAX else f"{text[:_LOGGED_TEXT_MAX]}..."


#: The innermost frames of a traceback one log line names.
_LOGGED_FRAMES: Final = 8


def describe_unexpected(exc: BaseException) -> str:
    """One line for an unexpected exception: its type, its message (bounded, newlines
    escaped) and where it went, as `file:line function` of its innermost frames. A full
    traceback of a crafted request (a 65 KB path repeated in its messages) was 267 KB of log
    per request; this line keeps what finding the bug needs and stays short."""
    frames = traceback.extract_tb(exc.__traceback__)[-_LOGGED_FRAMES:]
    where = " < ".join(
        f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
        for frame in reversed(frames)
    )
    message = _cut(str(exc)).encode("unicode_escape").decode("ascii")
    return f"{type(exc).__qualname__}: {message} [at {where}]"


def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Runs in ServerErrorMiddleware, outside the security-headers middleware: add them here.
    logger.error(
        "unexpected error on %s %s: %s",
        request.method,
        _cut(request.scope.get("path", "")).encode("unicode_escape").decode("ascii"),
        describe_unexpected(exc),
    )
    return error_response(
        _self_link(request),
        500,
        [_base(INTERNAL_ERROR, "the server failed to answer this request; it has been logged")],
        {**dict(SECURITY_HEADERS), "Cache-Control": NOT_STORED.decode()},
    )


Handler = Callable[[Request, Exception], Response]


def _on_the_loop(handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    """`handler` as a coroutine: Starlette runs a plain-function handler in its thread pool,
    a hand-off each error response (a 404, a 412) would pay for nothing; these never block."""

    async def handle(request: Request, exc: Exception) -> Response:
        return handler(request, exc)

    return handle


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """The handler mapping for `Starlette(exception_handlers=...)`."""
    handlers: dict[Any, Handler] = {kind: _domain_error for kind in CATALOGUE}
    handlers[RequestError] = _request_error
    handlers[DocumentError] = _document_error
    handlers[HTTPException] = _http_error
    handlers[Exception] = _unexpected_error
    return {kind: _on_the_loop(handler) for kind, handler in handlers.items()}

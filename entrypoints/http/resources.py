"""The endpoints: parse the request, call one use case, render the document.

Endpoints are plain `def` functions (the database driver blocks; Starlette runs them in its
thread pool) and hold no try/except: errors travel to the catalogue in `errors.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from domain.cursors import end_cursor
from domain.errors import UserNotFoundError
from domain.ports import UnitOfWork
from domain.queries import CursorPage, NumberPage, UserPage
from domain.use_cases import change_user, get_user, list_users, register_user, remove_user
from entrypoints.http.auth import actor_of
from entrypoints.http.etag import etag_for, matching_versions, none_match
from entrypoints.http.jsonapi import (
    JSONAPI_MEDIA_TYPE,
    collection_document,
    json_bytes,
    media_type,
    meta_document,
    read_changes,
    read_new_user,
    resource_document,
    user_path,
)
from entrypoints.http.links import link as make_link
from entrypoints.http.links import origin, self_link
from entrypoints.http.middleware import BODY_SCOPE_KEY
from entrypoints.http.negotiation import check_accept, check_content_type
from entrypoints.http.query import ListRequest, parse_item_query, parse_list_query

UnitOfWorkFactory = Callable[[], UnitOfWork]

#: Ids are stored as 64-bit integers; a larger one cannot name a user.
MAX_USER_ID: Final = 2**63 - 1
#: A version no user ever has (versions start at 1): makes a failed If-Match atomic.
_NO_VERSION: Final = 0


def _document(
    content: bytes,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media: str = JSONAPI_MEDIA_TYPE,
) -> Response:
    return Response(content, status_code=status, headers=headers, media_type=media)


def user_id_of(request: Request) -> int:
    """The path's user id. Raises UserNotFoundError for one past the stored ids' range."""
    user_id: int = request.path_params["user_id"]
    if user_id > MAX_USER_ID:
        raise UserNotFoundError(user_id)
    return user_id


def _item_fields(request: Request) -> frozenset[str] | None:
    if not request.scope["query_string"]:
        return None
    return parse_item_query(request.query_params.multi_items())


def _request_body(request: Request) -> bytes:
    check_content_type(request.headers.get("content-type"))
    body: bytes = request.scope.get(BODY_SCOPE_KEY, b"")
    return body


def _page_links(
    request: Request, base: str, listing: ListRequest, page: UserPage
) -> dict[str, str | None]:
    path: str = request.scope["path"]
    query, size = listing.query, listing.query.page.size

    def link(*paging: tuple[str, str]) -> str:
        return make_link(base, path, [*listing.kept, ("page[size]", str(size)), *paging])

    links: dict[str, str | None] = {"self": self_link(request.scope)}
    if isinstance(query.page, CursorPage):
        links["first"] = link()
        links["last"] = link(("page[before]", end_cursor(query.order)))
        links["prev"] = link(("page[before]", page.prev_cursor)) if page.prev_cursor else None
        links["next"] = link(("page[after]", page.next_cursor)) if page.next_cursor else None
        return links

    def numbered(number: int) -> str | None:
        target = NumberPage(number, size)
        if not target.reachable(page.total, page.total_exact):
            return None
        return link(("page[number]", str(number)))

    number = query.page.number
    links["first"] = numbered(1)
    if page.total_exact:
        last = max(1, -(-page.total // size))
        links["last"] = numbered(last)  # always within the window of the end
        links["prev"] = numbered(min(number, last + 1) - 1) if number > 1 else None
        links["next"] = numbered(number + 1) if number < last else None
    else:  # at least `total` users: the last page is beyond reach, the next one exists
        links["prev"] = numbered(number - 1) if number > 1 else None
        links["next"] = numbered(number + 1)
    return links


def _meta(page: UserPage) -> dict[str, int]:
    """`total` when exact; else `totalAtLeast`, so no client mistakes a bound for a count."""
    return {"total" if page.total_exact else "totalAtLeast": page.total}


class UserResources:
    """The user endpoints over one unit-of-work factory."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def collection(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        if request.method == "POST":
            return self._create(request)
        return self._list(request)

    def item(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        method = request.method
        if method == "PATCH":
            return self._change(request)
        if method == "DELETE":
            return self._remove(request)
        return self._show(request)

    def _list(self, request: Request) -> Response:
        listing = parse_list_query(request.query_params.multi_items())
        page = list_users(self._uow(), listing.query, actor=actor_of(request))
        base = origin(request.scope)
        document = collection_document(
            page.users,
            _page_links(request, base, listing, page),
            _meta(page),
            listing.fields,
            base=base,
            cursor_profile=listing.cursor_mode,
        )
        return _document(json_bytes(document), media=media_type(cursor_profile=listing.cursor_mode))

    def _show(self, request: Request) -> Response:
        user_id = user_id_of(request)
        fields = _item_fields(request)
        user = get_user(self._uow(), user_id, actor=actor_of(request))
        etag = etag_for(user)
        if none_match(request.headers.get("if-none-match"), user):
            return Response(status_code=304, headers={"ETag": etag})
        document = resource_document(user, fields, origin(request.scope))
        return _document(json_bytes(document), headers={"ETag": etag})

    def _create(self, request: Request) -> Response:
        fields = _item_fields(request)
        attributes = read_new_user(_request_body(request))
        user = register_user(self._uow(), attributes, actor=actor_of(request))
        base = origin(request.scope)
        return _document(
            json_bytes(resource_document(user, fields, base)),
            201,
            {"ETag": etag_for(user), "Location": base + user_path(user.id)},
        )

    def _expected_version(self, request: Request, user_id: int) -> int | None:
        header = request.headers.get("if-match")
        if header is None:
            return None
        versions = matching_versions(header, user_id)
        if versions is None or len(versions) == 1:
            return None if versions is None else next(iter(versions))
        if versions:
            current = get_user(self._uow(), user_id, actor=actor_of(request)).version
            if current in versions:
                return current
        return _NO_VERSION

    def _change(self, request: Request) -> Response:
        user_id = user_id_of(request)
        fields = _item_fields(request)
        changes = read_changes(_request_body(request), user_id)
        expected = self._expected_version(request, user_id)
        user = change_user(self._uow(), user_id, changes, expected, actor=actor_of(request))
        document = resource_document(user, fields, origin(request.scope))
        return _document(json_bytes(document), headers={"ETag": etag_for(user)})

    def _remove(self, request: Request) -> Response:
        user_id = user_id_of(request)
        _item_fields(request)
        expected = self._expected_version(request, user_id)
        remove_user(self._uow(), user_id, expected, actor=actor_of(request))
        return Response(status_code=204)


def health(request: Request) -> Response:
    """The process is up; says nothing about the database."""
    return _document(json_bytes(meta_document({"status": "ok"}, self_link(request.scope))))


def readiness_endpoint(readiness: Callable[[], None] | None) -> Callable[[Request], Response]:
    """`/readyz`: 200 when `readiness()` returns; its StorageUnavailableError becomes a 503."""

    def ready(request: Request) -> Response:
        if readiness is not None:
            readiness()
        return _document(json_bytes(meta_document({"status": "ready"}, self_link(request.scope))))

    return ready

"""The endpoints of a user's history, its restore, and the list of deleted users:
/api/v1/users/{id}/history, /api/v1/users/{id}/restore and /api/v1/deleted-users."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from domain.history import Change, DeletedUser
from domain.history_use_cases import deleted_users, restore_user, user_history
from entrypoints.http.auth import actor_of
from entrypoints.http.etag import etag_for
from entrypoints.http.ids import CONVERTOR_NAME
from entrypoints.http.jsonapi import (
    JSONAPI_MEDIA_TYPE,
    JSONAPI_OBJECT,
    json_bytes,
    moment,
    resource_document,
    user_path,
)
from entrypoints.http.links import link, origin, self_link
from entrypoints.http.negotiation import check_accept
from entrypoints.http.query import parse_window
from entrypoints.http.resources import UnitOfWorkFactory, user_id_of

DELETED_USERS_PATH: Final = "/api/v1/deleted-users"
Endpoint = Callable[[Request], Response]


def change_object(change: Change) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "action": change.action.value,
        "at": moment(change.at),
        "version": change.version,
        "changed": None
        if change.changed is None
        else {
            name: {"before": values.before, "after": values.after}
            for name, values in change.changed.items()
        },
    }
    if change.actor is not None:  # only for those who may see who changed what
        attributes["actor"] = change.actor
        attributes["token"] = None if change.token_id is None else str(change.token_id)
    return {"type": "changes", "id": str(change.id), "attributes": attributes}


def deleted_object(deleted: DeletedUser, retention: timedelta, base: str) -> dict[str, Any]:
    user = deleted.user
    path = base + user_path(user.id)
    return {
        "type": "deleted-users",
        "id": str(user.id),
        "attributes": {
            **user.attributes(),
            "version": user.version,
            "deleted_at": moment(deleted.deleted_at),
            "restorable_until": moment(deleted.deleted_at + retention),
        },
        "relationships": {"history": {"links": {"related": path + "/history"}}},
        # Resource links hold `self` only; a deleted user has none (it reads as a 404).
        "meta": {"restore": path + "/restore"},
    }


def _collection(
    request: Request, data: list[dict[str, Any]], *, older: int | None, newer: int | None
) -> Response:
    """A page newest first: `older`/`newer` are the cursors of the next and previous pages."""
    base, path = origin(request.scope), request.scope["path"]
    size = [(name, value) for name, value in request.query_params.items() if name == "page[size]"]

    def page(*cursor: tuple[str, str]) -> str:
        return link(base, path, [*size, *cursor])

    document = {
        "jsonapi": JSONAPI_OBJECT,
        "links": {
            "self": self_link(request.scope),
            "first": page(),
            "prev": None if newer is None else page(("page[before]", str(newer))),
            "next": None if older is None else page(("page[after]", str(older))),
        },
        "data": data,
    }
    return Response(json_bytes(document), media_type=JSONAPI_MEDIA_TYPE)


class HistoryEndpoints:
    def __init__(self, uow_factory: UnitOfWorkFactory, retention: timedelta) -> None:
        self._uow = uow_factory
        self._retention = retention

    def history(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        window = parse_window(request.query_params.multi_items(), newer=True)
        page = user_history(self._uow(), user_id_of(request), window, actor=actor_of(request))
        changes = page.changes
        return _collection(
            request,
            [change_object(change) for change in changes],
            older=changes[-1].id if changes and page.has_older else None,
            newer=changes[0].id if changes and page.has_newer else None,
        )

    def restore(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        user = restore_user(self._uow(), user_id_of(request), actor=actor_of(request))
        base = origin(request.scope)
        return Response(
            json_bytes(resource_document(user, None, base)),
            headers={"ETag": etag_for(user)},
            media_type=JSONAPI_MEDIA_TYPE,
        )

    def deleted(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        window = parse_window(request.query_params.multi_items(), newer=False)
        rows, more = deleted_users(self._uow(), window, actor=actor_of(request))
        base = origin(request.scope)
        return _collection(
            request,
            [deleted_object(row, self._retention, base) for row in rows],
            older=rows[-1].sequence if rows and more else None,
            newer=None,
        )


def history_routes(
    uow_factory: UnitOfWorkFactory,
    retention: timedelta,
    wrap: Callable[[Endpoint], Any],
) -> list[BaseRoute]:
    """`wrap` makes an endpoint what the app serves (signed in, run in the thread pool)."""
    endpoints = HistoryEndpoints(uow_factory, retention)
    user = f"/api/v1/users/{{user_id:{CONVERTOR_NAME}}}"
    return [
        Route(f"{user}/history", wrap(endpoints.history), methods=["GET"]),
        Route(f"{user}/restore", wrap(endpoints.restore), methods=["POST"]),
        Route(DELETED_USERS_PATH, wrap(endpoints.deleted), methods=["GET"]),
    ]

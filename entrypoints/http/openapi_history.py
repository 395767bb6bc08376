"""The OpenAPI description of a user's history, its restore and the deleted users."""

from __future__ import annotations

from typing import Any, Final

from domain.history import Action
from domain.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from entrypoints.http.jsonapi import JSONAPI_MEDIA_TYPE
from entrypoints.http.openapi import _LINK, _URI, _USER_ID, _errors, _query, _ref

_MOMENT: Final = {"type": "string", "format": "date-time"}
_SIZE: Final = _query(
    "page[size]",
    f"Entries per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
)
_AFTER: Final = _query("page[after]", "A cursor from a `next` link.", {"type": "string"})
_BEFORE: Final = _query("page[before]", "A cursor from a `prev` link.", {"type": "string"})

_CHANGE: Final = {
    "type": "object",
    "required": ["type", "id", "attributes"],
    "properties": {
        "type": {"const": "changes"},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "attributes": {
            "type": "object",
            "required": ["action", "at", "version", "changed"],
            "additionalProperties": False,
            "properties": {
                "action": {"enum": [action.value for action in Action]},
                "at": _MOMENT,
                "version": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The user's version after the change (for a delete, the "
                    "version deleted).",
                },
                "changed": {
                    "type": ["object", "null"],
                    "description": "Each attribute whose value changed, with its value before "
                    "and after (null where the user did not exist). null once the deleted user "
                    "has been purged: who did what stays, the values go.",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["before", "after"],
                        "properties": {"before": {}, "after": {}},
                    },
                },
                "actor": {
                    "type": "string",
                    "description": "The account that made the change; for editors and admins "
                    "only (absent for viewers).",
                },
                "token": {
                    "type": ["string", "null"],
                    "description": "The id of the API token the change came with (null: a "
                    "session or the command line); for editors and admins only.",
                },
            },
        },
    },
}
_DELETED_USER: Final = {
    "type": "object",
    "required": ["type", "id", "attributes", "relationships", "meta"],
    "properties": {
        "type": {"const": "deleted-users"},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "attributes": {
            "type": "object",
            "description": "The user's attributes as they were, its version, when it was "
            "deleted and until when it can be restored.",
            "required": ["version", "deleted_at", "restorable_until"],
            "properties": {
                "version": {"type": "integer", "minimum": 1},
                "deleted_at": _MOMENT,
                "restorable_until": _MOMENT,
            },
        },
        "relationships": {
            "type": "object",
            "required": ["history"],
            "properties": {
                "history": {
                    "type": "object",
                    "properties": {"links": {"type": "object", "properties": {"related": _URI}}},
                }
            },
        },
        "meta": {
            "type": "object",
            "required": ["restore"],
            "description": "`restore`: where to POST to bring the user back.",
            "properties": {"restore": _URI},
        },
    },
}


def _collection(item: dict[str, Any]) -> dict[str, Any]:
    return {
        JSONAPI_MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "required": ["jsonapi", "links", "data"],
                "properties": {
                    "links": {
                        "type": "object",
                        "required": ["self", "first", "prev", "next"],
                        "properties": {"self": _URI, "first": _URI, "prev": _LINK, "next": _LINK},
                    },
                    "data": {"type": "array", "items": item, "maxItems": MAX_PAGE_SIZE},
                },
            }
        }
    }


def history_paths() -> dict[str, Any]:
    return {
        "/api/v1/users/{user_id}/history": {
            "parameters": [_USER_ID],
            "get": {
                "operationId": "getUserHistory",
                "summary": "A user's changes, newest first (a deleted or purged user's too)",
                "parameters": [_SIZE, _AFTER, _BEFORE],
                "responses": {
                    "200": {"description": "A page of changes.", "content": _collection(_CHANGE)},
                    **_errors("400", "404"),
                },
            },
        },
        "/api/v1/users/{user_id}/restore": {
            "parameters": [_USER_ID],
            "post": {
                "operationId": "restoreUser",
                "summary": "Bring a deleted user back, with its id, at a new version (editor)",
                "responses": {
                    "200": {
                        "description": "The restored user.",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": {JSONAPI_MEDIA_TYPE: {"schema": _ref("UserDocument")}},
                    },
                    **_errors("400", "404", "409"),
                },
            },
        },
        "/api/v1/deleted-users": {
            "get": {
                "operationId": "listDeletedUsers",
                "summary": "The deleted users that can still be restored, the latest first "
                "(editor)",
                "parameters": [_SIZE, _AFTER],
                "responses": {
                    "200": {
                        "description": "A page of deleted users.",
                        "content": _collection(_DELETED_USER),
                    },
                    **_errors("400"),
                },
            }
        },
    }

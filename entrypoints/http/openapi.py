"""The OpenAPI 3.1 description of the whole API, built by hand as a dict and served as is."""

from __future__ import annotations

import json
from typing import Any, Final

from domain.model import STRING_ATTRIBUTES, USER_ATTRIBUTES, Attribute
from domain.queries import COUNT_BOUND, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGE_WINDOW, SORTABLE
from entrypoints.http.jsonapi import CURSOR_MEDIA_TYPE, JSONAPI_MEDIA_TYPE

JSONAPI_MEDIA_TYPE_PATTERN: Final = JSONAPI_MEDIA_TYPE

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


#: What the attribute definitions (domain.model.USER_ATTRIBUTES) do not say.
_ATTRIBUTE_NOTES: Final[dict[str, dict[str, str]]] = {
    "name": {"description": "Unique, case-insensitively, after trimming."},
    "website": {"format": "uri", "description": "An http(s) URL."},
}


def _attribute_schema(attribute: Attribute) -> dict[str, Any]:
    if attribute.text:
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        schema["maxLength"] = attribute.max_length
    else:
        schema = {"type": "integer", "minimum": attribute.minimum, "maximum": attribute.maximum}
    return {**schema, **_ATTRIBUTE_NOTES.get(attribute.name, {})}


_ATTRIBUTE_SCHEMAS: Final = {a.name: _attribute_schema(a) for a in USER_ATTRIBUTES}

_URI = {"type": "string", "format": "uri"}
_LINK = {"type": ["string", "null"], "format": "uri"}
_JSONAPI = {
    "type": "object",
    "properties": {
        "version": {"type": "string"},
        "profile": {"type": "array", "items": {"type": "string"}},
    },
}

SCHEMAS: Final[dict[str, Any]] = {
    "UserAttributes": {
        "type": "object",
        "description": "Every attribute; a sparse fieldset (fields[users]) returns a subset.",
        "properties": _ATTRIBUTE_SCHEMAS,
        "additionalProperties": False,
    },
    "User": {
        "type": "object",
        "required": ["type", "id", "attributes", "links"],
        "properties": {
            "type": {"const": "users"},
            "id": {"type": "string", "pattern": "^[0-9]+$"},
            "attributes": _ref("UserAttributes"),
            "relationships": {
                "type": "object",
                "description": "Left out when a sparse fieldset (fields[users]) leaves out "
                "`history`.",
                "properties": {
                    "history": {
                        "type": "object",
                        "required": ["links"],
                        "properties": {
                            "links": {
                                "type": "object",
                                "required": ["related"],
                                "properties": {"related": _URI},
                            }
                        },
                    }
                },
            },
            "links": {
                "type": "object",
                "required": ["self"],
                "properties": {"self": _URI},
            },
        },
    },
    "UserDocument": {
        "type": "object",
        "required": ["jsonapi", "links", "data"],
        "properties": {
            "jsonapi": _JSONAPI,
            "links": {"type": "object", "properties": {"self": _URI}},
            "data": _ref("User"),
        },
    },
    "UserCollectionDocument": {
        "type": "object",
        "required": ["jsonapi", "links", "meta", "data"],
        "properties": {
            "jsonapi": _JSONAPI,
            "links": {
                "type": "object",
                "description": "Absolute URLs, query strings form-urlencoded. `null`: no such "
                "page. `last` is absent when the last page is beyond the numbered pages' reach "
                "(a total only known to be at least some number); cursor pages always have it.",
                "required": ["self", "prev", "next"],
                "properties": {
                    "self": _URI,
                    "first": _LINK,
                    "last": _LINK,
                    "prev": _LINK,
                    "next": _LINK,
                },
            },
            "meta": {
                "type": "object",
                "description": "Exactly one of `total` (the exact number of users the list "
                "selects) and `totalAtLeast` (a filtered list stops counting at "
                f"{COUNT_BOUND:,}: it selects at least this many). The unfiltered list always "
                "has `total`.",
                "oneOf": [{"required": ["total"]}, {"required": ["totalAtLeast"]}],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "totalAtLeast": {"type": "integer", "const": COUNT_BOUND},
                },
            },
            "data": {"type": "array", "items": _ref("User"), "maxItems": MAX_PAGE_SIZE},
        },
    },
    "NewUserDocument": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["type", "attributes"],
                "properties": {
                    "type": {"const": "users"},
                    "attributes": {
                        "type": "object",
                        "required": list(_ATTRIBUTE_SCHEMAS),
                        "properties": _ATTRIBUTE_SCHEMAS,
                        "additionalProperties": False,
                    },
                },
            }
        },
    },
    "UserChangesDocument": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["type", "id"],
                "properties": {
                    "type": {"const": "users"},
                    "id": {"type": "string", "pattern": "^[0-9]+$"},
                    "attributes": {
                        "type": "object",
                        "properties": _ATTRIBUTE_SCHEMAS,
                        "additionalProperties": False,
                    },
                },
            }
        },
    },
    "MetaDocument": {
        "type": "object",
        "required": ["jsonapi", "meta"],
        "properties": {
            "jsonapi": _JSONAPI,
            "links": {"type": "object"},
            "meta": {"type": "object", "properties": {"status": {"type": "string"}}},
        },
    },
    "ErrorDocument": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "jsonapi": _JSONAPI,
            "links": {"type": "object"},
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["status", "code", "title", "detail"],
                    "properties": {
                        "status": {"type": "string", "pattern": "^[45][0-9][0-9]$"},
                        "code": {"type": "string"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "source": {
                            "type": "object",
                            "properties": {
                                "pointer": {"type": "string"},
                                "parameter": {"type": "string"},
                                "header": {"type": "string"},
                            },
                        },
                        "meta": {"type": "object"},
                        "links": {"type": "object", "properties": {"type": {"type": "string"}}},
                    },
                },
            },
        },
    },
}

_ERROR_DESCRIPTIONS: Final = {
    "400": "Malformed JSON, a body that is not an object, a missing or malformed `data`, "
    "a missing `type`, a bad query parameter (`source.parameter`; also a page[number] beyond "
    "the numbered pages' reach), or a Host header naming a host this service does not "
    "answer for (`host_not_allowed`, `source.header` Host).",
    "403": "The document carries a client-generated id.",
    "404": "No such user (or a non-integer id).",
    "405": "The path does not allow this method; `Allow` lists those it does.",
    "406": "Every JSON:API entry in Accept carries `ext` or a parameter other than `profile`.",
    "409": "A type or id that does not match the endpoint, or a name already taken.",
    "412": "If-Match does not name the current version; nothing was changed.",
    "413": "The body is over 64 KiB; refused without reading it.",
    "415": "The body is neither application/json nor application/vnd.api+json "
    "(without `ext` or parameters other than `profile`).",
    "422": "Invalid attributes: one error object per failing field.",
    "500": "An unexpected error; the detail is logged on the server only.",
    "503": "The database is unreachable; retry after `Retry-After` seconds.",
}

_ERROR_CONTENT: Final = {JSONAPI_MEDIA_TYPE: {"schema": _ref("ErrorDocument")}}


def _errors(*statuses: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in (*statuses, "405", "406", "413", "500", "503"):
        response: dict[str, Any] = {
            "description": _ERROR_DESCRIPTIONS[status],
            "content": _ERROR_CONTENT,
        }
        if status == "405":
            response["headers"] = {"Allow": {"schema": {"type": "string"}}}
        if status == "503":
            response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
        responses[status] = response
    return responses


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_FIELDS = _query(
    "fields[users]",
    "Sparse fieldset: a comma-separated list of attributes (and `history`, the relationship) "
    "to return.",
    {"type": "string"},
)
_INCLUDE = _query(
    "include",
    "Not supported (follow relationships.history.links.related instead): always a 400.",
    {"type": "string"},
)
_LIST_PARAMETERS: Final = [
    _query(
        "page[size]",
        f"Users per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}). Over the maximum: "
        "the cursor pagination profile's max-size-exceeded error.",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    ),
    _query(
        "page[number]",
        "Page by number (from 1): links first/prev/next/last. Numbered pages reach "
        f"{PAGE_WINDOW:,} users from either end of the list; a page further from both is a 400 "
        "(`source.parameter` page[number]): page by cursor there. Without page[number], the "
        "list pages by cursor.",
        {"type": "integer", "minimum": 1},
    ),
    _query("page[after]", "An opaque cursor from a `next` link.", {"type": "string"}),
    _query(
        "page[before]",
        "An opaque cursor from a `prev` or `last` link.",
        {"type": "string"},
    ),
    _query(
        "sort",
        f"Comma-separated sort fields ({', '.join(SORTABLE)}); "
        "a leading `-` sorts descending; id breaks ties.",
        {"type": "string"},
    ),
    *(
        _query(f"filter[{name}]", f"Exact, case-insensitive match on {name}.", {"type": "string"})
        for name in STRING_ATTRIBUTES
    ),
    _query("filter[age]", "Exact age.", {"type": "integer"}),
    _query("filter[age][gte]", "Minimum age, inclusive.", {"type": "integer"}),
    _query("filter[age][lte]", "Maximum age, inclusive.", {"type": "integer"}),
    _query(
        "filter[search]",
        f"Case-insensitive substring of {', '.join(STRING_ATTRIBUTES[:-1])} or "
        f"{STRING_ATTRIBUTES[-1]}.",
        {"type": "string"},
    ),
    _FIELDS,
    _INCLUDE,
]

_USER_ID: Final = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_IF_MATCH: Final = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "Change only if the user still has this ETag.",
    "schema": {"type": "string"},
}
_ETAG_HEADER: Final = {"ETag": {"schema": {"type": "string"}, "description": 'Strong, e.g. "7-3".'}}


def _json(schema: str) -> dict[str, Any]:
    return {JSONAPI_MEDIA_TYPE: {"schema": _ref(schema)}}


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            JSONAPI_MEDIA_TYPE: {"schema": _ref(schema)},
            "application/json": {"schema": _ref(schema)},
        },
    }


def _collection(alias: bool) -> dict[str, Any]:
    suffix = " (alias kept for clients of the tutorial app)" if alias else ""
    return {
        "get": {
            "operationId": "listUsers" + ("Alias" if alias else ""),
            "summary": "List users, one page at a time" + suffix,
            "parameters": _LIST_PARAMETERS,
            "responses": {
                "200": {
                    "description": "A page of users. Cursor pages (no page[number]) apply the "
                    "cursor pagination profile and name it in the media type.",
                    "content": {
                        **_json("UserCollectionDocument"),
                        CURSOR_MEDIA_TYPE: {"schema": _ref("UserCollectionDocument")},
                    },
                },
                **_errors("400"),
            },
        },
        "post": {
            "operationId": "createUser" + ("Alias" if alias else ""),
            "summary": "Create a user" + suffix,
            "parameters": [_FIELDS, _INCLUDE],
            "requestBody": _body("NewUserDocument"),
            "responses": {
                "201": {
                    "description": "Created.",
                    "headers": {**_ETAG_HEADER, "Location": {"schema": {"type": "string"}}},
                    "content": _json("UserDocument"),
                },
                **_errors("400", "403", "409", "415", "422"),
            },
        },
    }


def _item(alias: bool) -> dict[str, Any]:
    suffix = "Alias" if alias else ""
    return {
        "parameters": [_USER_ID],
        "get": {
            "operationId": "getUser" + suffix,
            "summary": "Read one user",
            "parameters": [
                _FIELDS,
                _INCLUDE,
                {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The user.",
                    "headers": _ETAG_HEADER,
                    "content": _json("UserDocument"),
                },
                "304": {
                    "description": "Not modified (If-None-Match matched).",
                    "headers": _ETAG_HEADER,
                },
                **_errors("400", "404"),
            },
        },
        "patch": {
            "operationId": "changeUser" + suffix,
            "summary": "Change the given attributes only",
            "parameters": [_FIELDS, _INCLUDE, _IF_MATCH],
            "requestBody": _body("UserChangesDocument"),
            "responses": {
                "200": {
                    "description": "The whole changed user.",
                    "headers": _ETAG_HEADER,
                    "content": _json("UserDocument"),
                },
                **_errors("400", "404", "409", "412", "415", "422"),
            },
        },
        "delete": {
            "operationId": "deleteUser" + suffix,
            "summary": "Delete a user",
            "parameters": [_FIELDS, _INCLUDE, _IF_MATCH],
            "responses": {"204": {"description": "Deleted."}, **_errors("400", "404", "412")},
        },
    }


def _plain(operation_id: str, summary: str, ok: dict[str, Any], *extra: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "responses": {"200": ok, **_errors(*extra)},
        }
    }


def openapi_document() -> dict[str, Any]:
    meta = {"description": "OK.", "content": _json("MetaDocument")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "users-service",
            "version": "1.0.0",
            "description": "A user directory speaking JSON:API 1.1. Every 4xx and 5xx response "
            "is a JSON:API error document. Cursor paging follows "
            "https://jsonapi.org/profiles/ethanresnick/cursor-pagination/.",
        },
        "paths": {
            "/api/v1/users": _collection(alias=False),
            "/api/v1/users.json": _collection(alias=True),
            "/api/v1/users/{user_id}": _item(alias=False),
            "/api/v1/users/{user_id}.json": _item(alias=True),
            "/api/v1/openapi.json": _plain(
                "getOpenApi",
                "This document",
                {
                    "description": "OpenAPI 3.1.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
            ),
            "/healthz": _plain("health", "The process is up", meta),
            "/readyz": _plain("ready", "The database answers (else 503)", meta),
        },
        "components": {"schemas": SCHEMAS},
    }


def openapi_bytes() -> bytes:
    return json.dumps(openapi_document(), separators=(",", ":")).encode()

"""JSON:API documents: rendering users and errors, and reading request documents.

Rendering builds plain dicts and serialises them with orjson (the hot path: no schema
library per request). Reading goes through one strict cattrs `Converter`: a string is a string
and an object is an object, nothing is coerced; the domain never sees JSON.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs
import cattrs
import orjson
from cattrs.errors import ClassValidationError

from domain.model import ATTRIBUTES, User

JSONAPI_MEDIA_TYPE: Final = "application/vnd.api+json"
RESOURCE_TYPE: Final = "users"
COLLECTION_PATH: Final = "/api/v1/users"
CURSOR_PROFILE: Final = "http://jsonapi.org/profiles/ethanresnick/cursor-pagination/"
CURSOR_ERROR_TYPE: Final = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination/"
CURSOR_MEDIA_TYPE: Final = f'{JSONAPI_MEDIA_TYPE}; profile="{CURSOR_PROFILE}"'
JSONAPI_OBJECT: Final = {"version": "1.1"}
_CURSOR_JSONAPI_OBJECT: Final = {"version": "1.1", "profile": [CURSOR_PROFILE]}

Fields = frozenset[str] | None  # a sparse fieldset; None means every field
#: A user's relationships: only links to where the related resources are listed.
RELATIONSHIPS: Final = ("history",)

_encoder = json.JSONEncoder(separators=(",", ":"))
#: A user's attribute values in ATTRIBUTES order, read in one call (the hot path).
_attribute_values: Final = operator.attrgetter(*ATTRIBUTES)


def json_bytes(document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON by orjson (a page of 20 users: 4 us against 48 us for the standard
    library). Text orjson refuses (a lone surrogate, echoed from a hostile request into an
    error) goes through the standard encoder with every non-ASCII character escaped."""
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        return _encoder.encode(document).encode("ascii")


def moment(value: datetime | None) -> str | None:
    """A moment in documents: ISO 8601, UTC written `Z`."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def user_path(user_id: int) -> str:
    return f"{COLLECTION_PATH}/{user_id}"


def media_type(*, cursor_profile: bool) -> str:
    """The Content-Type of a document: JSON:API 1.1 says a server that applied a profile
    names it in the media type too."""
    return CURSOR_MEDIA_TYPE if cursor_profile else JSONAPI_MEDIA_TYPE


def resource_object(user: User, fields: Fields = None, base: str = "") -> dict[str, Any]:
    """`base` is the scheme and host links start with (links.origin)."""
    path = base + user_path(user.id)
    if fields is None:
        attributes = dict(zip(ATTRIBUTES, _attribute_values(user), strict=True))
    else:
        attributes = {name: getattr(user, name) for name in ATTRIBUTES if name in fields}
    resource: dict[str, Any] = {
        "type": RESOURCE_TYPE,
        "id": str(user.id),
        "attributes": attributes,
        "links": {"self": path},
    }
    if fields is None or "history" in fields:
        resource["relationships"] = {"history": {"links": {"related": path + "/history"}}}
    return resource


def resource_document(user: User, fields: Fields, base: str) -> dict[str, Any]:
    return {
        "jsonapi": JSONAPI_OBJECT,
        "links": {"self": base + user_path(user.id)},
        "data": resource_object(user, fields, base),
    }


def collection_document(
    users: Iterable[User],
    links: Mapping[str, str | None],
    meta: Mapping[str, Any],
    fields: Fields,
    *,
    base: str,
    cursor_profile: bool,
) -> dict[str, Any]:
    return {
        "jsonapi": _CURSOR_JSONAPI_OBJECT if cursor_profile else JSONAPI_OBJECT,
        "links": dict(links),
        "meta": dict(meta),
        "data": [resource_object(user, fields, base) for user in users],
    }


def meta_document(meta: Mapping[str, Any], self_link: str) -> dict[str, Any]:
    return {"jsonapi": JSONAPI_OBJECT, "links": {"self": self_link}, "meta": dict(meta)}


def error_document(errors: list[dict[str, Any]], self_link: str) -> dict[str, Any]:
    return {
        "jsonapi": JSONAPI_OBJECT,
        "links": {"self": self_link},
        "errors": errors,
    }


# -- reading request documents ------------------------------------------------------------


class DocumentError(Exception):
    """The body is not a JSON:API document this service accepts; maps to a 400/403/409."""

    def __init__(self, status: int, code: str, detail: str, pointer: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.pointer = pointer


@attrs.frozen
class ResourceIn:
    """The `data` member of a POST or PATCH document, as far as this service reads it."""

    type: str
    id: str | None = None
    attributes: dict[str, Any] = attrs.Factory(dict)


def _strict_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value


def _strict_object(value: object, _: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("must be an object")
    return value


converter: Final = cattrs.Converter(detailed_validation=True)
converter.register_structure_hook(str, _strict_str)
converter.register_structure_hook_func(lambda kind: kind == dict[str, Any], _strict_object)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


class _DuplicateMember(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose members all have different names: RFC 8259 leaves a repeated name's
    meaning open (we would keep the last, a proxy or a client library may keep the first),
    so a document that repeats one is refused rather than read one way among several."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateMember(name)
            seen.add(name)
    return document


#: RFC 8259 section 8.1: JSON exchanged between systems is UTF-8, without a byte-order mark.
#: The standard library would also accept UTF-16 and UTF-32 (it guesses from the first bytes)
#: and a BOM; NUL never occurs in UTF-8 JSON text (it must be escaped), but in every UTF-16/32
#: encoding of it, so its presence alone tells those apart from UTF-8.
_UTF8_BOM: Final = b"\xef\xbb\xbf"


def _text(body: bytes) -> str:
    if body.startswith(_UTF8_BOM) or b"\x00" in body:
        raise _not_utf8()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8() from None


def _not_utf8() -> DocumentError:
    return DocumentError(
        400,
        "invalid_encoding",
        "the request body must be JSON encoded as UTF-8, without a byte-order mark (RFC 8259)",
        "",
    )


def parse_body(body: bytes) -> dict[str, Any]:
    """The top-level object of a request body. Raises DocumentError."""
    text = _text(body)
    try:
        document = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_unique_members
        )
    except _DuplicateMember as duplicate:
        raise DocumentError(
            400,
            "duplicate_member",
            f"the member {duplicate.name[:64]!r} appears twice in one object; "
            "each member name must be given once",
            "",
        ) from None
    except (ValueError, RecursionError):
        raise DocumentError(
            400, "malformed_json", "the request body is not valid JSON", ""
        ) from None
    if not isinstance(document, dict):
        raise DocumentError(400, "not_an_object", "the request body must be a JSON object", "")
    return document


def read_resource(body: bytes) -> ResourceIn:
    """The resource object in a request document. Raises DocumentError."""
    document = parse_body(body)
    if "data" not in document:
        raise DocumentError(400, "missing_data", "the document must have a data member", "")
    data = document["data"]
    if not isinstance(data, dict):
        raise DocumentError(400, "invalid_data", "data must be a resource object", "/data")
    try:
        resource = converter.structure(data, ResourceIn)
    except ClassValidationError as error:
        failures, _ = error.group_exceptions()
        failure, note = failures[0]
        name = str(note.name)
        if isinstance(failure, KeyError):
            raise DocumentError(
                400, "invalid_document", f"the resource object must have a {name!r} member", "/data"
            ) from None
        raise DocumentError(400, "invalid_document", f"{name} {failure}", f"/data/{name}") from None
    if resource.type != RESOURCE_TYPE:
        raise DocumentError(
            409,
            "type_mismatch",
            f"this endpoint takes resources of type {RESOURCE_TYPE!r}",
            "/data/type",
        )
    return resource


def read_new_user(body: bytes) -> dict[str, Any]:
    """The attributes of a POST document. Raises DocumentError."""
    resource = read_resource(body)
    if resource.id is not None:
        raise DocumentError(
            403, "client_generated_id", "this service assigns ids; omit data.id", "/data/id"
        )
    return resource.attributes


def read_changes(body: bytes, user_id: int) -> dict[str, Any]:
    """The attributes of a PATCH document for `user_id`. Raises DocumentError."""
    resource = read_resource(body)
    if resource.id is None:
        raise DocumentError(
            400, "invalid_document", "the resource object must have an 'id' member", "/data"
        )
    if resource.id != str(user_id):
        raise DocumentError(
            409, "id_mismatch", f"data.id must be {str(user_id)!r}, the id in the URL", "/data/id"
        )
    return resource.attributes

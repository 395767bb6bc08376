"""Content negotiation as JSON:API 1.1 and the issue define it (406 and 415).

The service supports no JSON:API extension: the media type with an `ext` parameter, or any
parameter other than `profile`, is unsupported.
"""

from __future__ import annotations

from typing import Final

from entrypoints.http.errors import RequestError
from entrypoints.http.jsonapi import JSONAPI_MEDIA_TYPE

_ACCEPTED_BODY_TYPES: Final = frozenset({JSONAPI_MEDIA_TYPE, "application/json"})
# `q` weighs an Accept entry; it is not a media type parameter.
_NEUTRAL_PARAMETERS: Final = frozenset({"profile", "q"})


def parse_media_type(text: str) -> tuple[str, frozenset[str]]:
    """`"application/vnd.api+json; profile=x"` -> ("application/vnd.api+json", {"profile"})."""
    kind, _, rest = text.partition(";")
    names = frozenset(
        part.partition("=")[0].strip().lower() for part in rest.split(";") if part.strip()
    )
    return kind.strip().lower(), names


def check_accept(accept: str | None) -> None:
    """406 when every JSON:API entry in Accept carries an unsupported parameter."""
    if not accept or JSONAPI_MEDIA_TYPE not in accept.lower():
        return
    jsonapi_entries = [
        names
        for kind, names in map(parse_media_type, accept.split(","))
        if kind == JSONAPI_MEDIA_TYPE
    ]
    if jsonapi_entries and all(names - _NEUTRAL_PARAMETERS for names in jsonapi_entries):
        raise RequestError(
            406,
            "not_acceptable",
            "Not acceptable",
            f"{JSONAPI_MEDIA_TYPE} is served without extensions or parameters other than "
            "profile; accept it without them",
            header="Accept",
        )


def check_content_type(content_type: str | None) -> None:
    """415 unless the body is application/json or plain application/vnd.api+json."""
    kind, names = parse_media_type(content_type or "")
    if kind not in _ACCEPTED_BODY_TYPES or (kind == JSONAPI_MEDIA_TYPE and names - {"profile"}):
        raise RequestError(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            f"send the body as {JSONAPI_MEDIA_TYPE} (no ext or other parameters than "
            "profile) or application/json",
            header="Content-Type",
        )

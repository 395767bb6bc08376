"""JSON:API documents of sessions, accounts and tokens: reading requests, rendering answers.
Secrets and password hashes never appear in them; a token's secret only in the 201 that
creates it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from domain.accounts import Account, Actor, ApiToken
from entrypoints.http.jsonapi import JSONAPI_OBJECT, DocumentError, moment, parse_body

SESSION_PATH: Final = "/api/v1/session"
ACCOUNTS_PATH: Final = "/api/v1/accounts"
TOKENS_PATH: Final = "/api/v1/tokens"


def read_attributes(
    body: bytes, resource_type: str, resource_id: str | None = None
) -> dict[str, Any]:
    """The attributes of a request document of `resource_type` (with `resource_id`, a PATCH
    of that resource). Raises DocumentError."""
    document = parse_body(body)
    data = document.get("data")
    if not isinstance(data, dict):
        raise DocumentError(400, "invalid_data", "data must be a resource object", "/data")
    if data.get("type") != resource_type:
        raise DocumentError(
            409,
            "type_mismatch",
            f"this endpoint takes resources of type {resource_type!r}",
            "/data/type",
        )
    if resource_id is None and "id" in data:
        raise DocumentError(
            403, "client_generated_id", "this service assigns ids; omit data.id", "/data/id"
        )
    if resource_id is not None and data.get("id") != resource_id:
        raise DocumentError(
            409, "id_mismatch", f"data.id must be {resource_id!r}, the id in the URL", "/data/id"
        )
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise DocumentError(
            400, "invalid_document", "attributes must be an object", "/data/attributes"
        )
    return attributes


def unknown_attributes(attributes: dict[str, Any], known: Iterable[str]) -> None:
    """Raises DocumentError (422 is for values; an unknown member is a document problem)."""
    unknown = sorted(set(attributes) - set(known))
    if unknown:
        raise DocumentError(
            400,
            "invalid_document",
            f"unknown attribute {unknown[0]!r}",
            "/data/attributes/" + unknown[0].replace("~", "~0").replace("/", "~1"),
        )


def session_document(actor: Actor, base: str) -> dict[str, Any]:
    """`base`: the origin the client addressed (links.origin); every link is absolute."""
    return {
        "jsonapi": JSONAPI_OBJECT,
        "links": {"self": base + SESSION_PATH},
        "data": {
            "type": "sessions",
            "id": "current",
            "attributes": {
                "username": actor.name,
                "role": actor.role.value,
                "expires_at": moment(actor.ends_at),
            },
            "links": {"self": base + SESSION_PATH},
        },
    }


def account_object(account: Account, base: str) -> dict[str, Any]:
    path = f"{base}{ACCOUNTS_PATH}/{account.id}"
    return {
        "type": "accounts",
        "id": str(account.id),
        "attributes": {
            "name": account.name,
            "role": account.role.value,
            "enabled": account.enabled,
        },
        "links": {"self": path},
    }


def token_object(token: ApiToken, base: str, secret: str | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "label": token.label,
        "account": token.account_name,
        "role": token.role.value,
        "created_at": moment(token.created_at),
        "expires_at": moment(token.expires_at),
    }
    if secret is not None:
        attributes["secret"] = secret
    return {
        "type": "tokens",
        "id": str(token.id),
        "attributes": attributes,
        "links": {"self": f"{base}{TOKENS_PATH}/{token.id}"},
    }


def single(resource: dict[str, Any]) -> dict[str, Any]:
    return {"jsonapi": JSONAPI_OBJECT, "links": resource["links"], "data": resource}


def collection(resources: list[dict[str, Any]], path: str) -> dict[str, Any]:
    return {
        "jsonapi": JSONAPI_OBJECT,
        "links": {"self": path},
        "meta": {"total": len(resources)},
        "data": resources,
    }

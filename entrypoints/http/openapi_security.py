"""The OpenAPI document with its security: both schemes (bearer token, session cookie), each
operation's requirement, and the session, account and token operations."""

from __future__ import annotations

import json
from typing import Any, Final

from domain.accounts import ACCOUNT_NAME_MAX, PASSWORD_MIN, ROLE_NAMES, TOKEN_DAYS_MAX
from entrypoints.http.auth import SESSION_COOKIE
from entrypoints.http.jsonapi import JSONAPI_MEDIA_TYPE
from entrypoints.http.openapi import _errors, openapi_document
from entrypoints.http.openapi_history import history_paths

SCHEMES: Final = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token: `users-service tokens create` or POST /api/v1/tokens.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "Set by POST /api/v1/session (the web client).",
    },
}
SIGNED_IN: Final[list[dict[str, list[str]]]] = [{"bearerToken": []}, {"sessionCookie": []}]
PUBLIC: Final[list[dict[str, list[str]]]] = []
_PUBLIC_OPERATIONS: Final = {"getOpenApi", "health", "ready", "signIn"}

_ERROR: Final = {JSONAPI_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ErrorDocument"}}}
_401: Final = {
    "description": "No valid credentials.",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    "content": _ERROR,
}
_403: Final = {"description": "The role does not allow this.", "content": _ERROR}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR}


def _resource(resource_type: str, attributes: dict[str, Any], required: list[str]) -> Any:
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["type", "attributes"],
                "properties": {
                    "type": {"const": resource_type},
                    "id": {"type": "string"},
                    "attributes": {
                        "type": "object",
                        "properties": attributes,
                        "required": required,
                        "additionalProperties": False,
                    },
                },
            }
        },
    }


_ROLE: Final = {"type": "string", "enum": list(ROLE_NAMES)}
_PASSWORD: Final = {"type": "string", "minLength": PASSWORD_MIN}
_NAME: Final = {"type": "string", "minLength": 1, "maxLength": ACCOUNT_NAME_MAX}
_DOCUMENT: Final = {JSONAPI_MEDIA_TYPE: {"schema": {"type": "object"}}}


def _body(schema: Any) -> dict[str, Any]:
    return {
        "required": True,
        "content": {JSONAPI_MEDIA_TYPE: {"schema": schema}, "application/json": {"schema": schema}},
    }


def _operation(operation_id: str, summary: str, ok: str, **extra: Any) -> dict[str, Any]:
    status = "204" if ok.startswith("204") else ("201" if ok.startswith("201") else "200")
    success: dict[str, Any] = {"description": ok}
    if status != "204":
        success["content"] = _DOCUMENT
    statuses = ("400", "404", "409", "415", "422") if "requestBody" in extra else ("400",)
    return {
        "operationId": operation_id,
        "summary": summary,
        "responses": {status: success, **_errors(*statuses), **extra.pop("errors", {})},
        **extra,
    }


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _paths() -> dict[str, Any]:
    sign_in = _resource(
        "sessions",
        {
            "username": {"type": "string"},
            "password": {"type": "string"},
            "setup_code": {"type": "string"},
        },
        ["username", "password"],
    )
    new_account = _resource(
        "accounts",
        {"name": _NAME, "role": _ROLE, "password": _PASSWORD},
        ["name", "role", "password"],
    )
    changes = _resource(
        "accounts", {"role": _ROLE, "password": _PASSWORD, "enabled": {"type": "boolean"}}, []
    )
    new_token = _resource(
        "tokens",
        {
            "label": {"type": "string", "minLength": 1},
            "role": _ROLE,
            "account": _NAME,
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": TOKEN_DAYS_MAX},
        },
        ["label"],
    )
    refused = {"404": _error("No such account."), "422": _error("Invalid attributes.")}
    return {
        "/api/v1/session": {
            "get": _operation("getSession", "Who is signed in, and their role", "The session."),
            "post": _operation(
                "signIn",
                "Sign in (sets the session cookie); with setup_code, create the "
                "first administrator",
                "201 Signed in.",
                requestBody=_body(sign_in),
                errors={
                    "401": _401,
                    "403": _error("Set-up link not valid."),
                    "422": _error("Invalid attributes."),
                    "429": {
                        **_error("Too many failed sign-ins."),
                        "headers": {"Retry-After": {"schema": {"type": "string"}}},
                    },
                },
            ),
            "delete": _operation("signOut", "Sign out", "204 Signed out."),
        },
        "/api/v1/accounts": {
            "get": _operation("listAccounts", "Every account (admin)", "The accounts."),
            "post": _operation(
                "createAccount",
                "Create an account (admin)",
                "201 Created.",
                requestBody=_body(new_account),
                errors={"409": _error("Name taken."), "422": _error("Invalid attributes.")},
            ),
        },
        "/api/v1/accounts/{account_id}": {
            "parameters": [_id("account_id")],
            "get": _operation(
                "getAccount",
                "One account (admin, or one's own)",
                "The account.",
                errors={"404": _error("No such account.")},
            ),
            "patch": _operation(
                "changeAccount",
                "Change role, password or enabled; ends the account's sessions and tokens",
                "The account.",
                requestBody=_body(changes),
                errors={**refused, "409": _error("The last administrator.")},
            ),
        },
        "/api/v1/tokens": {
            "get": _operation("listTokens", "One's own API tokens (admin: all)", "The tokens."),
            "post": _operation(
                "createToken",
                "Create an API token; its secret is in this answer only",
                "201 Created.",
                requestBody=_body(new_token),
                errors=refused,
            ),
        },
        "/api/v1/tokens/{token_id}": {
            "parameters": [_id("token_id")],
            "get": _operation(
                "getToken", "One API token", "The token.", errors={"404": _error("No such token.")}
            ),
            "delete": _operation(
                "revokeToken",
                "Revoke an API token",
                "204 Revoked.",
                errors={"404": _error("No such token.")},
            ),
        },
    }


def secured_document() -> dict[str, Any]:
    document = openapi_document()
    document["paths"].update(_paths())
    document["paths"].update(history_paths())
    document["components"]["securitySchemes"] = SCHEMES
    document["security"] = SIGNED_IN
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if operation["operationId"] in _PUBLIC_OPERATIONS:
                operation["security"] = PUBLIC
            else:
                operation["security"] = SIGNED_IN
                operation["responses"].setdefault("401", _401)
                operation["responses"].setdefault("403", _403)
    return document


def secured_openapi_bytes() -> bytes:
    return json.dumps(secured_document(), separators=(",", ":")).encode()

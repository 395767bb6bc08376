"""Helpers for the HTTP tests: JSON:API schema validation and request documents."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "jsonapi" / "schema-1.1.json"
JSONAPI = "application/vnd.api+json"
#: The media type of a cursor page: the profile applied, named (JSON:API 1.1).
CURSOR_PAGES = 'application/vnd.api+json; profile="http://jsonapi.org/profiles/ethanresnick/cursor-pagination/"'


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA.read_text()))


def check_document(response: Any) -> dict[str, Any]:
    """The body of a JSON:API response, after checking its media type and its schema."""
    content_type = response.headers["content-type"]
    assert content_type in (JSONAPI, CURSOR_PAGES), content_type
    document: dict[str, Any] = response.json()
    errors = sorted(_validator().iter_errors(document), key=str)
    assert not errors, f"{errors[0].message} at {list(errors[0].absolute_path)}: {document}"
    assert document["jsonapi"]["version"] == "1.1"
    assert "self" in document["links"]
    return document


def check_errors(response: Any, status: int) -> list[dict[str, Any]]:
    """The error objects of an error document with this status."""
    assert response.status_code == status, response.text
    document = check_document(response)
    assert "data" not in document
    errors: list[dict[str, Any]] = document["errors"]
    assert errors and all(error["status"] == str(status) for error in errors)
    assert all({"code", "title", "detail"} <= set(error) for error in errors)
    return errors


def attributes(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Ada Lovelace",
        "address": "12 St James's Square, London",
        "age": 36,
        "profession": "mathematician",
        "website": "https://ada.example",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not ...}


def new_user(**changes: Any) -> dict[str, Any]:
    return {"data": {"type": "users", "attributes": attributes(**changes)}}


def changes(user_id: int | str, **values: Any) -> dict[str, Any]:
    return {"data": {"type": "users", "id": str(user_id), "attributes": values}}

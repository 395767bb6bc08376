"""Helpers for the HTTP tests: JSON:API schema validation and request documents."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from tests.support.users import new_user_document, user_attributes

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "jsonapi" / "schema-1.1.json"
JSONAPI = "application/vnd.api+json"
#: The media type of a cursor page: the profile applied, named (JSON:API 1.1).
CURSOR_PAGES = 'application/vnd.api+json; profile="http://jsonapi.org/profiles/ethanresnick/cursor-pagination/"'


@cache
def _validator() -> jsonschema_rs.Draft202012Validator:
    # jsonschema-rs, not jsonschema: the same Draft 2020-12 verdicts, hundreds of times faster
    # on a page of 100 users (a quarter of a second each with jsonschema, which made the
    # schema check most of the HTTP tests' time and of every mutant's test run).
    return jsonschema_rs.Draft202012Validator(json.loads(SCHEMA.read_text()))


def check_document(response: Any) -> dict[str, Any]:
    """The body of a JSON:API response, after checking its media type and its schema."""
    content_type = response.headers["content-type"]
    assert content_type in (JSONAPI, CURSOR_PAGES), content_type
    document: dict[str, Any] = response.json()
    errors = list(_validator().iter_errors(document))
    assert not errors, f"{errors[0].message} at {list(errors[0].instance_path)}: {document}"
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


# The user factory, under the names the HTTP tests use.
attributes = user_attributes
new_user = new_user_document


def changes(user_id: int | str, **values: Any) -> dict[str, Any]:
    return {"data": {"type": "users", "id": str(user_id), "attributes": values}}

"""A bounded schemathesis run against /api/v1/openapi.json, in process over the memory adapter:
no 5xx, and every response matches the status codes, media types and schemas documented."""

from __future__ import annotations

from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.memory import in_memory_uow_factory
from entrypoints.http.app import create_app
from entrypoints.http.resources import UnitOfWorkFactory
from tests.signed_in import security

signed_in, HEADERS = security()
app = create_app(cast(UnitOfWorkFactory, in_memory_uow_factory()), security=signed_in)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_the_promises_of_its_openapi_document(case: Any) -> None:
    case.call_and_validate(headers=HEADERS, checks=CHECKS)

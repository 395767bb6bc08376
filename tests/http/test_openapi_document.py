"""The OpenAPI document covers every route, parameter and error status the API has."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Route
from starlette.testclient import TestClient

from entrypoints.http.errors import CATALOGUE


def served(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def test_it_is_openapi_3_1_and_documents_every_api_route(client: TestClient) -> None:
    document = served(client)
    assert document["openapi"].startswith("3.1.")
    routes = [
        route
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route)
        and (route.path.startswith("/api/") or route.path in ("/healthz", "/readyz"))
    ]
    assert len(routes) >= 7
    for route in routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        operations = document["paths"][path]
        assert set(operations) - {"parameters"} == {
            method.lower() for method in route.methods or () if method != "HEAD"
        }


def test_every_query_parameter_is_documented_on_the_list(client: TestClient) -> None:
    operation = served(client)["paths"]["/api/v1/users"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {
        "page[number]",
        "page[size]",
        "page[after]",
        "page[before]",
        "sort",
        "filter[name]",
        "filter[address]",
        "filter[profession]",
        "filter[website]",
        "filter[age]",
        "filter[age][gte]",
        "filter[age][lte]",
        "filter[search]",
        "fields[users]",
        "include",
    }


def test_every_error_status_is_documented(client: TestClient) -> None:
    paths = served(client)["paths"]
    statuses = {
        status
        for operations in paths.values()
        for name, operation in operations.items()
        if name != "parameters"
        for status in operation["responses"]
    }
    expected = {str(entry.status) for entry in CATALOGUE.values()}
    expected |= {"400", "403", "404", "405", "406", "409", "412", "413", "415", "422", "500"}
    assert expected <= statuses
    patch = paths["/api/v1/users/{user_id}"]["patch"]["responses"]
    assert {"200", "400", "404", "409", "412", "415", "422", "503"} <= set(patch)

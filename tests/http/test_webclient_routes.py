"""The routes that serve the web client: the page, its assets, caching headers, nothing else."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from entrypoints.http.webclient import webclient_routes


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(Starlette(routes=webclient_routes()))


def test_the_page_is_served_at_the_root_and_revalidated_on_every_use(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert 'ng-app="usersApp"' in response.text and "ng-csp" in response.text
    assert "<script>" not in response.text and "style=" not in response.text


def test_vendored_libraries_may_be_cached_and_carry_an_etag(client: TestClient) -> None:
    response = client.get("/assets/vendor/angular/angular.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert response.headers["etag"].startswith('"')


def test_the_clients_own_files_are_revalidated(client: TestClient) -> None:
    response = client.get("/assets/app/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/", "/assets/app/list.js", "/assets/vendor/angular/angular-csp.css"]
)
def test_a_matching_if_none_match_gets_304(client: TestClient, path: str) -> None:
    etag = client.get(path).headers["etag"]
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_every_asset_that_index_html_names_is_served(client: TestClient) -> None:
    import re

    page = client.get("/").text
    assets = re.findall(r'(?:src|href)="(assets/[^"]+)"', page)
    assert len(assets) >= 10
    for asset in assets:
        assert client.get("/" + asset).status_code == 200, asset


@pytest.mark.parametrize(
    "path",
    [
        "/assets/package.json",
        "/assets/vendor.js",
        "/assets/__init__.py",
        "/assets/index.html",
        "/assets/app/../../entrypoints/http/webclient.py",
        "/assets/app/%2e%2e/%2e%2e/pyproject.toml",
        "/assets/vendor/angular/LICENSE.md",
        "/assets/app/missing.js",
        "/assets/app/",
        "/assets/app/.hidden.js",
    ],
)
def test_nothing_but_the_public_assets_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404

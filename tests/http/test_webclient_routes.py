"""The routes that serve the web client: the page, its assets, caching headers, nothing else."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from entrypoints.http import webclient
from entrypoints.http.webclient import webclient_routes


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(Starlette(routes=webclient_routes()))


@pytest.fixture(autouse=True)
def _vendor_files_read_afresh() -> Iterator[None]:
    """Each test reads the vendored files itself: the process-wide cache of them would
    otherwise answer with what an earlier test (or mutmut's stats run, which its mutant
    processes are forked from) read."""
    webclient._vendor_file.cache_clear()
    yield
    webclient._vendor_file.cache_clear()


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


@pytest.mark.parametrize(
    "path", ["/", "/assets/app/app.css", "/assets/vendor/angular/angular-csp.css"]
)
def test_the_etag_is_the_quoted_first_half_of_the_bodys_sha256(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    digest = hashlib.sha256(response.content).hexdigest()
    assert len(digest[:32]) == 32
    assert response.headers["etag"] == '"' + digest[:32] + '"'


@pytest.mark.parametrize(
    "if_none_match",
    [
        "W/{etag}",
        '"other", {etag}',
        '"other",{etag}, "more"',
        "*",
    ],
)
@pytest.mark.parametrize(
    "path", ["/", "/assets/app/list.js", "/assets/vendor/angular/angular.min.js"]
)
def test_a_weak_listed_or_wildcard_if_none_match_gets_304(
    client: TestClient, path: str, if_none_match: str
) -> None:
    etag = client.get(path).headers["etag"]
    response = client.get(path, headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert response.status_code == 304
    assert response.headers["etag"] == etag


@pytest.mark.parametrize("if_none_match", ['"other", "more"', "W/", ""])
def test_an_if_none_match_naming_other_versions_gets_the_file(
    client: TestClient, if_none_match: str
) -> None:
    response = client.get("/assets/app/list.js", headers={"If-None-Match": if_none_match})
    assert response.status_code == 200
    assert response.content


@pytest.fixture
def tiny_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The routes over a client package of one-letter files: `app/a.js`, `vendor/b.css`."""
    package = tmp_path / "tinyclient"
    (package / "app").mkdir(parents=True)
    (package / "vendor").mkdir()
    (package / "__init__.py").write_text("")
    (package / "index.html").write_text("<p>tiny</p>")
    (package / "app" / "a.js").write_text("let a = 1;")
    (package / "vendor" / "b.css").write_text("b { color: red }")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(webclient, "PACKAGE", "tinyclient")
    try:
        yield TestClient(Starlette(routes=webclient_routes()))
    finally:
        sys.modules.pop("tinyclient", None)


def test_files_named_with_one_letter_are_served(tiny_client: TestClient) -> None:
    script = tiny_client.get("/assets/app/a.js")
    assert script.status_code == 200
    assert script.text == "let a = 1;"
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    style = tiny_client.get("/assets/vendor/b.css")
    assert style.status_code == 200
    assert style.text == "b { color: red }"
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert style.headers["cache-control"] == "public, max-age=604800"


def test_the_routes_are_named_for_reverse_lookup() -> None:
    app = Starlette(routes=webclient_routes())
    assert app.url_path_for("webclient_index") == "/"
    assert app.url_path_for("webclient_asset", path="app/app.css") == "/assets/app/app.css"

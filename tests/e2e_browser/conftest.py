"""Fixtures for the browser tests: one live service and one Chromium for the session, a fresh
browser context (and an emptied database) per test, a screenshot of every open page when a
test fails (under test-artifacts/), and checks that apply to every test: no request leaves the
service's origin, no script error, no Content-Security-Policy violation."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Api,
    chromium_missing_message,
    running_service,
    sign_in,
)
from tests.support.services import unavailable

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    message = chromium_missing_message()
    if message:
        unavailable(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # BROWSER_TESTS_BASE_URL points the tests at a service that is already running
    # (its users are all deleted!); by default they start their own.
    external = os.environ.get("BROWSER_TESTS_BASE_URL")
    if external:
        yield external.rstrip("/") + "/"
        return
    folder = tmp_path_factory.mktemp("browser-service")
    with running_service(folder / "users.db", folder / "service.log") as base:
        yield base


@pytest.fixture
def api(service: str) -> Api:
    """The service's API, emptied before the test."""
    client = Api(service)
    client.delete_all()
    return client


@pytest.fixture(scope="package")
def browser(chromium_path: Path) -> Iterator[Any]:
    # Package scope: Playwright's sync API keeps an event loop running in this thread until
    # it stops, which would break later tests that start their own loop (anyio.run).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Recorder:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.page_errors: list[str] = []
        self.csp_violations: list[str] = []


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def context(
    browser: Any, service: str, api: Api, recorder: Recorder, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser context, signed in as the admin (as `@pytest.mark.signed_in_as(name)`
    says, or signed out with `signed_in_as(None)`); every page opened in it is watched."""
    created = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=service)
    created.set_default_timeout(10_000)
    marker = request.node.get_closest_marker("signed_in_as")
    account = marker.args[0] if marker else "admin"
    if account is not None:
        sign_in(created, service, account)
    created.on("request", lambda sent: recorder.requests.append(sent.url))

    def watch(page: Any) -> None:
        page.on("pageerror", lambda error: recorder.page_errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                recorder.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    created.on("page", watch)
    yield created
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for number, page in enumerate(created.pages):
            page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
    created.close()
    if report is not None and report.passed:
        foreign = [url for url in recorder.requests if not url.startswith(service)]
        assert not foreign, f"requests to other hosts: {foreign}"
        assert not recorder.page_errors, f"script errors: {recorder.page_errors}"
        assert not recorder.csp_violations, f"CSP violations: {recorder.csp_violations}"


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()

"""The list screen over 10,050 users: a search matching more than the service counts says
"more than 1,000 users", and First, Previous, Next and Last keep working.

The users are created once for this module on a service of its own (the other browser tests
empty theirs before each test).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.model import NewUser
from tests.e2e_browser.harness import Api, running_service

USERS = 10_050  # more than the 1,000 a filtered list counts (issue 19) and the page window
SEARCHED = 10_020  # users whose name holds "member"; the other 30 are "visitor" (sorting after)
ROWS = "table.users tbody tr.user-row"


def _name(number: int) -> str:
    return f"{'member' if number < SEARCHED else 'visitor'} {number:05d}"


def _seed(database: Path) -> None:
    """The users, written through the SQL adapter in one transaction: through the API, one
    commit each, they took SQLite well over a minute."""
    url = f"sqlite:///{database}"
    upgrade_to_head(url)
    engine = create_engine_for(url)
    try:
        with sql_uow_factory(engine)() as uow:
            for number in range(USERS):
                uow.users.add(
                    NewUser(
                        name=_name(number),
                        address=f"{number} High Street",
                        age=20 + number % 50,
                        profession="clerk",
                        website="https://clerk.example.org",
                    )
                )
            uow.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("large-list-service")
    _seed(folder / "users.db")
    with running_service(folder / "users.db", folder / "service.log") as base:
        yield base


@pytest.fixture
def api(service: str) -> Api:
    """The seeded users stay: this module's tests only read them."""
    return Api(service)


def names_on_screen(page: Page) -> list[str]:
    return page.locator(f"{ROWS} td.col-name").all_inner_texts()


def test_the_whole_list_counts_every_user_and_pages_to_the_end(page: Page) -> None:
    page.goto("/#!/list")
    status = page.locator(".page-status")
    expect(status).to_have_text("1-10 of 10,050 users")
    page.get_by_role("button", name="Last").click()
    expect(status).to_have_text("10,041-10,050 of 10,050 users")
    assert names_on_screen(page) == [_name(n) for n in range(10_040, 10_050)]
    page.get_by_role("button", name="Previous").click()
    expect(status).to_have_text("10,031-10,040 of 10,050 users")


def test_a_search_matching_more_than_the_count_says_so_and_still_pages(page: Page) -> None:
    page.goto("/#!/list")
    page.get_by_label("Search users").fill("member")
    status = page.locator(".page-status")
    expect(status).to_have_text("1-10 of more than 1,000 users")
    assert names_on_screen(page) == [_name(n) for n in range(10)]

    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("11-20 of more than 1,000 users")
    assert names_on_screen(page) == [_name(n) for n in range(10, 20)]

    page.get_by_role("button", name="Last").click()
    expect(status).to_have_text("more than 1,000 users")
    assert names_on_screen(page) == [_name(n) for n in range(SEARCHED - 10, SEARCHED)]
    expect(page.get_by_role("button", name="Next")).to_be_disabled()

    page.get_by_role("button", name="Previous").click()
    assert_names = [_name(n) for n in range(SEARCHED - 20, SEARCHED - 10)]
    expect(page.locator(f"{ROWS} td.col-name").first).to_have_text(assert_names[0])
    assert names_on_screen(page) == assert_names

    page.get_by_role("button", name="First").click()
    expect(status).to_have_text("1-10 of more than 1,000 users")
    expect(page).to_have_url(re.compile(r"#!/list\?q=member$"))


def test_a_search_matching_fewer_shows_the_exact_count(page: Page, api: Any) -> None:
    page.goto("/#!/list?q=visitor")
    status = page.locator(".page-status")
    expect(status).to_have_text("1-10 of 30 users")
    page.get_by_role("button", name="Last").click()
    expect(status).to_have_text("21-30 of 30 users")

"""Every screen and state of the web client, and how to reach it from a fresh page: what the
accessibility audit, the phone-size checks and the screenshots go through.

A new screen or state is one more ``Screen`` in ``SCREENS``: a name and a function that takes
a page (signed in as the admin unless ``signed_in=False``, the users of ``seed`` in the
database) and brings it there.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e_browser.harness import CHROMIUM, CHROMIUM_ARGS, Api, running_service, sign_in

ROWS = "table.users tbody tr"

PEOPLE = [
    (
        "Ada Lovelace",
        "12 St James's Square, London",
        36,
        "Mathematician",
        "https://ada.example.org",
    ),
    ("Alan Turing", "Hollymeade, Wilmslow", 41, "Computer scientist", "https://turing.example.org"),
    (
        "Barbara Liskov",
        "32 Vassar Street, Cambridge MA",
        85,
        "Professor",
        "https://liskov.example.org",
    ),
    (
        "Claude Shannon",
        "5 Cambridge Street, Winchester MA",
        84,
        "Engineer",
        "https://shannon.example.org",
    ),
    ("Donald Knuth", "Gates Building, Stanford CA", 87, "Author", "https://knuth.example.org"),
    ("Edsger Dijkstra", "Plataanstraat 5, Nuenen", 72, "Programmer", "http://ewd.example.org"),
    (
        "Frances Allen",
        "IBM Research, Yorktown Heights NY",
        88,
        "Compiler engineer",
        "https://allen.example.org",
    ),
    (
        "Grace Hopper",
        "Naval Station, Arlington VA",
        85,
        "Rear admiral",
        "https://hopper.example.org",
    ),
    ("Hedy Lamarr", "Altamonte Springs, Florida", 85, "Inventor", "https://lamarr.example.org"),
    ("John McCarthy", "MIT AI Lab, Cambridge MA", 84, "Researcher", "https://mccarthy.example.org"),
    (
        "Katherine Johnson",
        "NASA Langley, Hampton VA",
        101,
        "Mathematician",
        "https://johnson.example.org",
    ),
    ("Linus Torvalds", "Portland, Oregon", 56, "Kernel maintainer", "https://linus.example.org"),
    (
        "Margaret Hamilton",
        "MIT Instrumentation Lab, Cambridge MA",
        89,
        "Software engineer",
        "https://hamilton.example.org",
    ),
    ("Niklaus Wirth", "ETH Zentrum, Zürich", 89, "Language designer", "https://wirth.example.org"),
]


def seed(api: Api) -> None:
    """The users every screen is looked at with: more than one page of them."""
    for name, address, age, profession, website in PEOPLE:
        api.create(name=name, address=address, age=age, profession=profession, website=website)


@dataclass(frozen=True)
class Screen:
    name: str
    reach: Callable[[Page, Api], None]
    signed_in: bool = True


def keep_toasts(page: Page) -> None:
    """Holds the toasts on screen (the pointer over one stops its timer) while it is looked at."""
    toasts = page.locator("#toast-container .toast")
    if toasts.count():
        toasts.first.hover()


def _sign_in_page(page: Page, api: Api) -> None:
    page.goto("/#!/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def _sign_in_refused(page: Page, api: Api) -> None:
    _sign_in_page(page, api)
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("username or password is wrong")


def _list(page: Page, api: Api) -> None:
    page.goto("/#!/list")
    expect(page.locator(".page-status")).to_contain_text("1-10 of")


def _list_confirming_a_deletion(page: Page, api: Api) -> None:
    _list(page, api)
    page.locator(ROWS).first.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name="Yes, delete")).to_be_visible()


def _list_matching_nobody(page: Page, api: Api) -> None:
    page.goto("/#!/list?q=nobody%20at%20all")
    expect(page.get_by_text("No user matches")).to_be_visible()


def _new_form(page: Page, api: Api) -> None:
    page.goto("/#!/add")
    expect(page.get_by_role("button", name="Save")).to_be_visible()


def _fill(page: Page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def _list_after_saving(page: Page, api: Api) -> None:
    _new_form(page, api)
    _fill(
        page,
        {
            "Name": "Tim Berners-Lee",
            "Address": "CERN, Meyrin, Geneva",
            "Age": "70",
            "Profession": "Physicist",
            "Website": "https://timbl.example.org",
        },
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("User created")
    keep_toasts(page)


def _form_refused(page: Page, api: Api) -> None:
    _new_form(page, api)
    _fill(
        page,
        {
            "Name": "Tim Berners-Lee",
            "Address": "CERN, Meyrin, Geneva",
            "Age": "200",
            "Profession": "Physicist",
            "Website": "javascript:alert(1)",
        },
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#user-age-message .field-error")).to_be_visible()
    keep_toasts(page)


def _edit_form(page: Page, api: Api) -> None:
    _list(page, api)
    page.locator(ROWS).first.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Name", exact=True)).not_to_have_value("")


def _edit_form_changed_meanwhile(page: Page, api: Api) -> None:
    _edit_form(page, api)
    found = re.search(r"#!/(\d+)/edit", page.url)
    assert found, page.url
    api.patch(found.group(1), profession="Changed meanwhile")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Reload their version")).to_be_visible()
    keep_toasts(page)


def _list_offering_undo(page: Page, api: Api) -> None:
    _list_confirming_a_deletion(page, api)
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("button", name="Undo")).to_be_focused()


def _edit_form_with_history(page: Page, api: Api) -> None:
    (user,) = api.find("Ada Lovelace")
    api.patch(user["id"], profession="Analyst", address="Ockham Park, Surrey")
    page.goto(f"/#!/{user['id']}/edit")
    expect(page.locator(".history .change")).to_have_count(2)


def _recently_deleted(page: Page, api: Api) -> None:
    (user,) = api.find("Alan Turing")
    assert api.client.delete(f"users/{user['id']}").status_code == 204
    page.goto("/#!/deleted")
    expect(page.locator("tr.deleted-row").first).to_contain_text("Alan Turing")


def _accounts(page: Page, api: Api) -> None:
    page.goto("/#!/accounts")
    expect(page.locator('tr.account-row[data-account="viewer"]')).to_have_count(1)


def _accounts_resetting_a_password(page: Page, api: Api) -> None:
    _accounts(page, api)
    page.locator("tr.account-row").first.get_by_role("button", name="Reset password").click()
    expect(page.get_by_label("New password")).to_be_visible()


def _tokens_with_a_new_secret(page: Page, api: Api) -> None:
    page.goto("/#!/tokens")
    # Tokens outlive the browser tests' emptying of the users: a label no other test uses.
    page.get_by_label("Label").fill("weekly report")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("code.secret")).to_be_visible()


SCREENS = [
    Screen("signin", _sign_in_page, signed_in=False),
    Screen("signin-refused", _sign_in_refused, signed_in=False),
    Screen("list", _list),
    Screen("list-confirm-delete", _list_confirming_a_deletion),
    Screen("list-no-match", _list_matching_nobody),
    Screen("list-saved", _list_after_saving),
    Screen("form-new", _new_form),
    Screen("form-errors", _form_refused),
    Screen("form-edit", _edit_form),
    Screen("form-stale", _edit_form_changed_meanwhile),
    Screen("list-undo", _list_offering_undo),
    Screen("form-history", _edit_form_with_history),
    Screen("deleted", _recently_deleted),
    Screen("accounts", _accounts),
    Screen("accounts-reset-password", _accounts_resetting_a_password),
    Screen("tokens", _tokens_with_a_new_secret),
]


@contextmanager
def open_screen(browser: Any, base: str, api: Api, screen: Screen) -> Iterator[Page]:
    """A page of a fresh context (signed in as the admin unless the screen says not) on
    ``screen``; for the scripts, which have no pytest fixtures."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    context.set_default_timeout(10_000)
    try:
        if screen.signed_in:
            sign_in(context, base, "admin")
        page = context.new_page()
        screen.reach(page, api)
        yield page
    finally:
        context.close()


def visit_screens(only: Collection[str] | None = None) -> Iterator[tuple[Screen, Page]]:
    """For the scripts: starts ``users-service serve`` over a temporary SQLite database and
    Chromium, and yields each screen of ``SCREENS`` (those named in ``only``) on its page,
    the users of ``seed`` in the database."""
    with (
        tempfile.TemporaryDirectory() as folder,
        running_service(Path(folder) / "users.db", Path(folder) / "service.log") as base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for screen in SCREENS:
                if only is not None and screen.name not in only:
                    continue
                api = Api(base)
                api.delete_all()
                seed(api)
                with open_screen(browser, base, api, screen) as page:
                    yield screen, page
        finally:
            browser.close()

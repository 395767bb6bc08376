"""The web client in Chromium against a live ``users-service serve``.

Every test also passes the checks in conftest.py: no request to any host but the service, no
script error and no Content-Security-Policy violation.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e_browser.harness import Api, sample_user

ROWS = "table.users tbody tr"


def open_list(page: Page) -> None:
    page.goto("/#!/list")
    expect(page.locator(".loading")).to_be_hidden()


def fill_form(page: Page, user: dict[str, Any]) -> None:
    page.get_by_label("Name", exact=True).fill(user["name"])
    page.get_by_label("Address", exact=True).fill(user["address"])
    page.get_by_label("Age", exact=True).fill(str(user["age"]))
    page.get_by_label("Profession", exact=True).fill(user["profession"])
    page.get_by_label("Website", exact=True).fill(user["website"])


def row(page: Page, name: str) -> Any:
    return page.locator(ROWS).filter(has=page.locator("td.col-name", has_text=name))


def names_on_screen(page: Page) -> list[str]:
    return page.locator(f"{ROWS} td.col-name").all_inner_texts()


def test_a_user_created_through_the_form_appears_in_the_list(page: Page, api: Api) -> None:
    open_list(page)
    expect(page.get_by_text("No users yet.")).to_be_visible()
    page.get_by_role("link", name="New").click()
    expect(page).to_have_url(re.compile(r"#!/add$"))
    fill_form(page, sample_user(1, name="Ada Lovelace", website="https://ada.example.org"))
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"#!/list$"))
    expect(page.locator(".toast")).to_contain_text("User created")
    ada = row(page, "Ada Lovelace")
    expect(ada).to_have_count(1)
    link = ada.locator("td.col-website a")
    expect(link).to_have_attribute("href", "https://ada.example.org")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    assert [user["name"] for user in api.find("Ada Lovelace")] == ["Ada Lovelace"]


def test_editing_a_user_sends_if_match_and_changes_it_in_the_list(page: Page, api: Api) -> None:
    user = api.create(**sample_user(2, name="Grace Hopper", age=40))
    _, etag = api.get(user["id"])
    open_list(page)
    row(page, "Grace Hopper").get_by_role("link", name="Edit").click()
    expect(page).to_have_url(re.compile(rf"#!/{user['id']}/edit$"))
    expect(page.get_by_label("Name", exact=True)).to_have_value("Grace Hopper")
    page.get_by_label("Age", exact=True).fill("85")
    page.get_by_label("Profession", exact=True).fill("Rear admiral")
    with page.expect_request(lambda sent: sent.method == "PATCH") as patch:
        page.get_by_role("button", name="Save").click()

    assert patch.value.headers.get("if-match") == etag
    assert patch.value.headers.get("content-type", "").startswith("application/vnd.api+json")
    expect(page.locator(".toast")).to_contain_text("User saved")
    grace = row(page, "Grace Hopper")
    expect(grace.locator("td.col-age")).to_have_text("85")
    expect(grace.locator("td.col-profession")).to_have_text("Rear admiral")
    assert api.get(user["id"])[0]["age"] == 85


def test_deleting_a_user_asks_for_confirmation_first(page: Page, api: Api) -> None:
    api.create(**sample_user(3, name="Alan Turing"))
    api.create(**sample_user(4, name="Edsger Dijkstra"))
    open_list(page)
    turing = row(page, "Alan Turing")
    turing.get_by_role("button", name="Delete").click()
    expect(turing).to_contain_text("Delete Alan Turing?")
    turing.get_by_role("button", name="Cancel").click()
    expect(turing).to_have_count(1)
    assert len(api.find("Alan Turing")) == 1

    turing.get_by_role("button", name="Delete").click()
    turing.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("status").filter(has_text="Alan Turing was deleted.")).to_be_visible()
    expect(row(page, "Alan Turing")).to_have_count(0)
    expect(row(page, "Edsger Dijkstra")).to_have_count(1)
    assert api.find("Alan Turing") == []


def test_the_servers_messages_for_a_bad_age_and_website_appear_beside_those_fields(
    page: Page, api: Api
) -> None:
    bad = sample_user(5, age=200, website="javascript:alert(1)")
    expected = {
        error["source"]["pointer"]: error["detail"] for error in api.post(bad).json()["errors"]
    }
    page.goto("/#!/add")
    fill_form(page, bad)
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#user-age-message .field-error")).to_have_text(
        expected["/data/attributes/age"]
    )
    expect(page.locator("#user-website-message .field-error")).to_have_text(
        expected["/data/attributes/website"]
    )
    expect(page.locator("#user-name-message .field-error")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"#!/add$"))
    assert api.find(bad["name"]) == []

    page.get_by_label("Age", exact=True).fill("44")
    page.get_by_label("Website", exact=True).fill("https://fixed.example.org")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"#!/list$"))
    expect(row(page, bad["name"])).to_have_count(1)


def test_a_duplicate_name_is_reported_on_the_name_field(page: Page, api: Api) -> None:
    api.create(**sample_user(6, name="Linus"))
    page.goto("/#!/add")
    fill_form(page, sample_user(7, name="  LINUS "))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#user-name-message .field-error")).not_to_be_empty()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert len(api.find("Linus")) == 1


def test_paging_sorting_and_searching_through_50_users(page: Page, api: Api) -> None:
    for number in range(50):
        api.create(**sample_user(number))
    open_list(page)
    status = page.locator(".page-status")
    expect(status).to_have_text("1-10 of 50 users")
    assert names_on_screen(page) == [f"Person {n:02d}" for n in range(10)]
    expect(page.get_by_role("button", name="First")).to_be_disabled()

    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("11-20 of 50 users")
    assert names_on_screen(page) == [f"Person {n:02d}" for n in range(10, 20)]
    for _ in range(3):
        page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("41-50 of 50 users")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    expect(page.get_by_role("button", name="Last")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(status).to_have_text("31-40 of 50 users")
    page.get_by_role("button", name="First").click()
    expect(status).to_have_text("1-10 of 50 users")
    page.get_by_role("button", name="Last").click()
    expect(status).to_have_text("41-50 of 50 users")
    assert names_on_screen(page) == [f"Person {n:02d}" for n in range(40, 50)]

    # Sorting goes back to page 1; a second click reverses the order.
    name_header = page.locator("th.col-name")
    page.locator("th.col-name button").click()
    expect(name_header).to_have_attribute("aria-sort", "descending")
    expect(name_header.locator(".sort-indicator")).to_have_text("▼")
    expect(status).to_have_text("1-10 of 50 users")
    assert names_on_screen(page) == [f"Person {n:02d}" for n in range(49, 39, -1)]

    page.locator("th.col-age button").click()
    expect(page.locator("th.col-age")).to_have_attribute("aria-sort", "ascending")
    expect(name_header).to_have_attribute("aria-sort", "none")
    ages = [int(age) for age in page.locator(f"{ROWS} td.col-age").all_inner_texts()]
    everyone = sorted(sample_user(n)["age"] for n in range(50))
    assert ages == everyone[:10]

    # Search, debounced, back to page 1.
    searches: list[str] = []
    page.on("request", lambda sent: searches.append(sent.url) if "filter" in sent.url else None)
    page.get_by_label("Search users").press_sequentially("person1", delay=30)
    expect(status).to_have_text("1-10 of 10 users")
    assert sorted(names_on_screen(page)) == [f"Person {n}" for n in range(10, 20)]
    assert 1 <= len(searches) < len("person1"), searches  # debounced, not one per key
    assert "filter%5Bsearch%5D=person1" in searches[-1]

    page.get_by_label("Search users").fill("nobody at all")
    expect(page.get_by_text("No user matches “nobody at all”.")).to_be_visible()
    expect(page.locator(ROWS)).to_have_count(0)


def test_a_user_changed_in_another_tab_gets_a_412_and_can_be_reloaded(
    context: Any, api: Api
) -> None:
    user = api.create(**sample_user(8, name="Barbara Liskov", profession="Professor"))
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        tab.goto(f"/#!/{user['id']}/edit")
        expect(tab.get_by_label("Name", exact=True)).to_have_value("Barbara Liskov")

    first.get_by_label("Profession", exact=True).fill("Institute Professor")
    first.get_by_role("button", name="Save").click()
    expect(first).to_have_url(re.compile(r"#!/list$"))

    second.get_by_label("Age", exact=True).fill("30")
    second.get_by_role("button", name="Save").click()
    notice = second.get_by_role("alert").filter(has_text="Someone else changed this user")
    expect(notice).to_be_visible()
    expect(second).to_have_url(re.compile(rf"#!/{user['id']}/edit$"))
    assert api.get(user["id"])[0]["age"] == user["age"]

    second.get_by_role("button", name="Reload their version").click()
    expect(notice).to_be_hidden()
    expect(second.get_by_label("Profession", exact=True)).to_have_value("Institute Professor")
    second.get_by_label("Age", exact=True).fill("30")
    second.get_by_role("button", name="Save").click()
    expect(second).to_have_url(re.compile(r"#!/list$"))
    saved = api.get(user["id"])[0]
    assert (saved["age"], saved["profession"]) == (30, "Institute Professor")


def test_a_name_made_of_html_renders_as_text(page: Page, api: Api) -> None:
    name = '<img src=x onerror="window.injected=1"><b>bold</b> {{constructor}} {{7*7}}'
    api.create(**sample_user(9, name=name, address="<script>window.injected=2</script>"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_list(page)
    cell = page.locator(f"{ROWS} td.col-name")
    expect(cell).to_have_text(name)
    assert page.locator("table.users img, table.users b, table.users script").count() == 0
    page.locator(ROWS).first.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    assert page.evaluate("window.injected") is None
    assert dialogs == []


def test_an_unknown_address_goes_to_the_list(page: Page, api: Api) -> None:
    page.goto("/#!/no/such/place")
    expect(page).to_have_url(re.compile(r"#!/list$"))
    page.goto("/#!/abc/edit")
    expect(page).to_have_url(re.compile(r"#!/list$"))
    expect(page.get_by_role("link", name="List")).to_have_class(re.compile("active"))


def test_the_page_is_served_with_a_strict_csp_and_loads_only_from_the_service(
    page: Page, api: Api, service: str, recorder: Any
) -> None:
    response = httpx.get(service)
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    api.create(**sample_user(11))
    open_list(page)
    page.get_by_role("link", name="New").click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    assert any("/assets/vendor/angular/angular.min.js" in url for url in recorder.requests)
    assert all(url.startswith(service) for url in recorder.requests)


def test_a_failed_request_leaves_the_screen_as_it_was(page: Page, api: Api) -> None:
    for number in range(12):
        api.create(**sample_user(number))
    open_list(page)
    status = page.locator(".page-status")
    expect(status).to_have_text("1-10 of 12 users")
    before = names_on_screen(page)
    unavailable = {
        "status": 503,
        "headers": {"Content-Type": "application/vnd.api+json"},
        "body": '{"errors": [{"status": "503", "code": "storage_unavailable", '
        '"title": "Storage unavailable", "detail": "the database does not answer"}]}',
    }
    page.route("**/api/v1/users**", lambda route: route.fulfill(**unavailable))

    page.get_by_role("button", name="Next").click()
    expect(page.locator(".toast")).to_contain_text("the database does not answer")
    expect(status).to_have_text("1-10 of 12 users")
    expect(page).to_have_url(re.compile(r"#!/list$"))
    assert names_on_screen(page) == before

    page.locator(ROWS).first.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("alert")).to_contain_text("Could not load the user")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    page.unroute("**/api/v1/users**")
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value(before[0])

    page.goto("/#!/add")
    fill_form(page, sample_user(30, name="Kept"))
    page.route("**/api/v1/users**", lambda route: route.fulfill(**unavailable))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("the database does not answer")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Kept")
    page.unroute("**/api/v1/users**")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"#!/list$"))
    assert len(api.find("Kept")) == 1

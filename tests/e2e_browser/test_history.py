"""History and restore in Chromium: Undo after a delete, the History panel of the edit page,
the "Recently deleted" page, and what a viewer does not see."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e_browser.harness import Api, sample_user
from tests.e2e_browser.test_webclient import open_list, row


def delete_in_the_list(page: Page, name: str) -> None:
    found = row(page, name)
    found.get_by_role("button", name="Delete").click()
    found.get_by_role("button", name="Yes, delete").click()
    expect(row(page, name)).to_have_count(0)


def deleted_row(page: Page, user: dict[str, Any]) -> Any:
    """By id: other tests' deleted users (the same sample names) are restorable too."""
    return page.locator(f'tr.deleted-row[data-user-id="{user["id"]}"]')


def local(moment: str) -> datetime:
    """An ISO 8601 moment from the service in this machine's (and its Chromium's) time zone."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone()


def test_undo_after_a_delete_brings_the_user_back(page: Page, api: Api) -> None:
    hedy = api.create(**sample_user(1, name="Hedy Lamarr"))
    api.create(**sample_user(2, name="Katherine Johnson"))
    open_list(page)
    delete_in_the_list(page, "Hedy Lamarr")
    expect(page.get_by_role("status").filter(has_text="Hedy Lamarr was deleted.")).to_be_visible()
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()  # the deleted row's buttons had the focus
    assert api.find("Hedy Lamarr") == []

    undo.click()
    expect(page.locator(".toast")).to_contain_text("Hedy Lamarr is back.")
    expect(row(page, "Hedy Lamarr")).to_have_count(1)
    expect(undo).to_have_count(0)
    assert [user["id"] for user in api.find("Hedy Lamarr")] == [hedy["id"]]
    expect(row(page, "Katherine Johnson")).to_have_count(1)


def test_undo_is_offered_for_a_few_seconds_only(page: Page, api: Api) -> None:
    api.create(**sample_user(3, name="Radia Perlman"))
    page.clock.install()
    open_list(page)
    delete_in_the_list(page, "Radia Perlman")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    page.get_by_role("heading", name="Users").click()  # the focus leaves Undo
    page.clock.run_for(5_000)
    expect(undo).to_be_visible()
    page.clock.run_for(5_000)
    expect(undo).to_have_count(0)
    assert api.find("Radia Perlman") == []


def test_the_edit_page_shows_the_history_with_before_and_after_and_pages_it(
    page: Page, api: Api
) -> None:
    user = api.create(**sample_user(4, name="Grace Hopper", age=40, profession="Professor"))
    open_list(page)
    row(page, "Grace Hopper").get_by_role("link", name="Edit").click()
    changes = page.locator(".history li.change")
    expect(changes).to_have_count(1)
    expect(changes.first).to_contain_text("Created")
    page.get_by_label("Age", exact=True).fill("85")
    page.get_by_label("Profession", exact=True).fill("Rear admiral")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"#!/list$"))

    row(page, "Grace Hopper").get_by_role("link", name="Edit").click()
    expect(changes).to_have_count(2)
    newest = changes.first
    expect(newest).to_contain_text("Changed")
    expect(newest).to_contain_text("by admin")
    expect(newest.locator("li")).to_have_text(
        ["age: 40 → 85", "profession: Professor → Rear admiral"], use_inner_text=True
    )
    expect(changes.nth(1)).to_contain_text("Created")
    moment = newest.locator("time")
    shown = local(moment.get_attribute("datetime") or "")
    expect(moment).to_have_text(f"{shown:%b} {shown.day}, {shown.year} {shown:%-I:%M:%S %p}")

    for age in range(86, 96):  # 12 changes in all: two pages of 10
        api.patch(user["id"], age=age)
    page.reload()
    expect(changes).to_have_count(10)
    expect(changes.first.locator("li")).to_have_text("age: 94 → 95")
    page.get_by_role("button", name="Older").click()
    expect(changes).to_have_count(2)
    expect(changes.first.locator("li")).to_have_text(
        ["age: 40 → 85", "profession: Professor → Rear admiral"]
    )
    expect(page.get_by_role("button", name="Older")).to_be_disabled()
    page.get_by_role("button", name="Newer").click()
    expect(changes).to_have_count(10)
    expect(page.get_by_role("button", name="Newer")).to_be_disabled()


def test_recently_deleted_lists_deleted_users_and_restore_brings_one_back(
    page: Page, api: Api
) -> None:
    margaret = api.create(**sample_user(5, name="Margaret Hamilton"))
    annie = api.create(**sample_user(6, name="Annie Easley"))
    for user in (annie, margaret):
        assert api.client.delete(f"users/{user['id']}").status_code == 204
    api.create(**sample_user(7, name="Annie Easley"))  # the name is taken again
    refused = api.client.post(f"users/{annie['id']}/restore")
    assert refused.status_code == 409
    deleted = api.client.get("deleted-users").json()["data"]
    until = next(d for d in deleted if d["id"] == margaret["id"])["attributes"]["restorable_until"]

    open_list(page)
    page.get_by_role("link", name="Recently deleted").click()
    expect(page).to_have_url(re.compile(r"#!/deleted$"))
    names = page.locator("tr.deleted-row td.col-name").all_inner_texts()
    assert names[:2] == ["Margaret Hamilton", "Annie Easley"]  # the latest deleted first
    restorable = local(until)
    expect(deleted_row(page, margaret)).to_contain_text(
        f"{restorable:%b} {restorable.day}, {restorable.year}"
    )

    deleted_row(page, annie).get_by_role("button", name="Restore").click()
    expect(page.locator(".toast")).to_contain_text(refused.json()["errors"][0]["detail"])
    expect(deleted_row(page, annie)).to_have_count(1)

    deleted_row(page, margaret).get_by_role("button", name="Restore").click()
    expect(page.locator(".toast", has_text="Margaret Hamilton is back.")).to_be_visible()
    expect(deleted_row(page, margaret)).to_have_count(0)
    assert [user["id"] for user in api.find("Margaret Hamilton")] == [margaret["id"]]


@pytest.mark.signed_in_as("viewer")
def test_a_viewer_sees_no_recently_deleted_link_and_cannot_open_the_page(
    page: Page, api: Api
) -> None:
    api.create(**sample_user(8, name="Frances Allen"))
    open_list(page)
    expect(row(page, "Frances Allen")).to_have_count(1)
    expect(page.get_by_role("link", name="List")).to_be_visible()
    expect(page.get_by_role("link", name="Recently deleted")).to_have_count(0)
    page.goto("/#!/deleted")
    expect(page).to_have_url(re.compile(r"#!/list$"))

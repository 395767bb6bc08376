"""Signing in and out in Chromium, what each role sees, and the admin pages."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e_browser.harness import PASSWORD, Api, sample_user


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.signed_in_as(None)
def test_signing_in_shows_who_is_signed_in_and_signing_out_returns_to_sign_in(
    page: Page, api: Api
) -> None:
    api.create(**sample_user(1, name="Ada Lovelace"))
    page.goto("/#!/list")
    expect(page).to_have_url(re.compile(r"#!/signin$"))
    expect(page.locator("table.users")).to_have_count(0)
    sign_in(page, "admin", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("username or password is wrong")
    sign_in(page, "admin")
    expect(page).to_have_url(re.compile(r"#!/list$"))
    expect(page.locator(".signed-in-as")).to_have_text("admin (admin)")
    expect(page.locator("td.col-name", has_text="Ada Lovelace")).to_have_count(1)
    page.get_by_role("link", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"#!/signin$"))
    expect(page.locator(".signed-in-as")).to_have_count(0)
    page.goto("/#!/list")
    expect(page).to_have_url(re.compile(r"#!/signin$"))


@pytest.mark.signed_in_as("viewer")
def test_a_viewer_sees_no_new_edit_or_delete(page: Page, api: Api) -> None:
    api.create(**sample_user(2, name="Grace Hopper"))
    page.goto("/#!/list")
    expect(page.locator("td.col-name", has_text="Grace Hopper")).to_have_count(1)
    expect(page.locator(".signed-in-as")).to_have_text("viewer (viewer)")
    expect(page.get_by_role("link", name="New")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.get_by_role("link", name="Accounts")).to_have_count(0)
    page.goto("/#!/add")
    expect(page).to_have_url(re.compile(r"#!/list$"))


def test_an_admin_creates_an_account_and_an_api_token(page: Page, service: str) -> None:
    page.goto("/#!/list")
    page.get_by_role("link", name="Accounts").click()
    expect(page.locator("tr.account-row")).to_have_count(2)  # admin and viewer
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")
    page.get_by_label("Password").fill("marble-canyon-whistle")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator('tr.account-row[data-account="carol"]')).to_contain_text("enabled")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Label").fill("nightly import")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("code.secret").inner_text()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.locator('tr.token-row[data-token="nightly import"]')).to_have_count(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(service + "api/v1/users", headers=headers).status_code == 200
    page.get_by_role("button", name="Done").click()
    expect(page.locator("code.secret")).to_have_count(0)
    page.locator('tr.token-row[data-token="nightly import"]').get_by_role(
        "button", name="Revoke"
    ).click()
    expect(page.locator('tr.token-row[data-token="nightly import"]')).to_have_count(0)
    assert httpx.get(service + "api/v1/users", headers=headers).status_code == 401


def test_an_ended_session_returns_to_sign_in_with_a_message(page: Page, service: str) -> None:
    page.goto("/#!/list")
    expect(page.locator(".signed-in-as")).to_have_text("admin (admin)")
    cookie = next(c for c in page.context.cookies() if c["name"] == "users_session")
    ended = httpx.delete(
        service + "api/v1/session", headers={"Cookie": f"users_session={cookie['value']}"}
    )
    assert ended.status_code == 204
    page.get_by_label("Search users").fill("zz")  # searching asks the service again
    expect(page).to_have_url(re.compile(r"#!/signin$"))
    expect(page.locator(".toast", has_text="Your session has ended")).to_have_count(1)


@pytest.mark.signed_in_as(None)
def test_too_many_failed_sign_ins_say_when_to_try_again(page: Page) -> None:
    page.goto("/#!/signin")
    for _ in range(5):
        sign_in(page, "mallory", "wrong-password-1")
        expect(page.get_by_role("alert")).to_contain_text("wrong")
    sign_in(page, "mallory", "wrong-password-1")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Try again in \d+ minutes"))

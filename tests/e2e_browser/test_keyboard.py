"""The web client by keyboard alone (issue 17): a user created, edited and deleted with Tab,
Shift+Tab, typing, Enter and Escape, never the mouse. Every control Tab reaches shows a focus
ring; after each change of screen focus is on the new screen's heading, and what happened is
said through the live region screen readers listen to."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e_browser.harness import Api

ROWS = "table.users tbody tr"
ANNOUNCED = "#announce-polite"


def focused(page: Page) -> dict[str, Any]:
    """The focused element: its name (as a person reads it) and whether its ring shows."""
    result: dict[str, Any] = page.evaluate(
        """() => {
          const element = document.activeElement;
          const style = getComputedStyle(element);
          return {
            name: (element.getAttribute('aria-label') || element.textContent || '').trim()
              || element.id,
            id: element.id,
            ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          };
        }"""
    )
    return result


def press_tab(page: Page, backwards: bool = False) -> dict[str, Any]:
    page.keyboard.press("Shift+Tab" if backwards else "Tab")
    now = focused(page)
    assert now["ring"], f"no visible focus on {now['name']!r}"
    return now


def tab_to(page: Page, name: str, at_most: int = 25) -> list[str]:
    """Presses Tab until the control named ``name`` has the focus; the names passed on the way."""
    passed: list[str] = []
    for _ in range(at_most):
        passed.append(press_tab(page)["name"])
        if passed[-1] == name:
            return passed
    raise AssertionError(f"Tab never reached {name!r}; it went through {passed}")


def type_in_next_field(page: Page, field_id: str, text: str) -> None:
    assert press_tab(page)["id"] == field_id
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def test_a_user_is_created_edited_deleted_and_restored_by_keyboard_alone(
    page: Page, api: Api
) -> None:
    page.goto("/#!/list")
    expect(page.get_by_text("No users yet.")).to_be_visible()
    # The header first, in reading order.
    assert tab_to(page, "New") == ["Users", "List", "New"]

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#!/add$"))
    expect(page.get_by_role("heading", name="New user")).to_be_focused()
    for field_id, text in [
        ("user-name", "Ada Lovelace"),
        ("user-address", "12 St James's Square, London"),
        ("user-age", "36"),
        ("user-profession", "Mathematician"),
        ("user-website", "https://ada.example.org"),
    ]:
        type_in_next_field(page, field_id, text)
    page.keyboard.press("Enter")  # Enter in a field submits the form

    expect(page).to_have_url(re.compile(r"#!/list$"))
    expect(page.get_by_role("heading", name="Users")).to_be_focused()
    expect(page.locator(ANNOUNCED)).to_have_text("User created: Ada Lovelace")
    expect(page.locator(f"{ROWS} td.col-name")).to_have_text(["Ada Lovelace"])

    tab_to(page, "Edit")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Edit user")).to_be_focused()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Ada Lovelace")
    assert press_tab(page)["id"] == "user-name"
    assert press_tab(page)["id"] == "user-address"
    type_in_next_field(page, "user-age", "37")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Users")).to_be_focused()
    expect(page.locator(ANNOUNCED)).to_have_text("User saved: Ada Lovelace")
    expect(page.locator(f"{ROWS} td.col-age")).to_have_text(["37"])

    # Delete asks first; Escape closes the question and gives focus back to Delete.
    tab_to(page, "Delete")
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Delete Ada Lovelace?")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("group", name="Delete Ada Lovelace?")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_be_focused()
    assert focused(page)["ring"]

    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()
    assert press_tab(page, backwards=True)["name"] == "Yes, delete"
    page.keyboard.press("Enter")
    expect(page.get_by_text("No users yet.")).to_be_visible()
    # The deleted row's buttons are gone: focus goes to Undo, in a status region.
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    expect(page.locator(".undo[role=status]")).to_contain_text("Ada Lovelace was deleted.")
    assert api.find("Ada Lovelace") == []
    page.keyboard.press("Enter")
    expect(page.locator(f"{ROWS} td.col-name")).to_have_text(["Ada Lovelace"])
    expect(page.locator(ANNOUNCED)).to_contain_text("Ada Lovelace is back")
    assert len(api.find("Ada Lovelace")) == 1


def test_escape_closes_a_password_reset_and_focus_returns_to_its_button(page: Page) -> None:
    page.goto("/#!/accounts")
    viewer = page.locator('tr.account-row[data-account="viewer"]')
    expect(viewer).to_have_count(1)
    tab_to(page, "Reset password")  # the admin's row first
    tab_to(page, "Reset password")  # then the viewer's
    page.keyboard.press("Enter")
    expect(viewer.get_by_label("New password")).to_be_focused()
    page.keyboard.press("Escape")
    expect(viewer.get_by_label("New password")).to_have_count(0)
    expect(viewer.get_by_role("button", name="Reset password")).to_be_focused()

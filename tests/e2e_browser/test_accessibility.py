"""Every screen for everyone (issue 17): an axe-core audit of each screen and state in
``screens.SCREENS`` at desktop and phone size, light and dark, failing on any serious or
critical violation; and at phone widths, no sideways scrolling and every control inside the
window and at least 44 x 44 CSS pixels.

A new screen is covered by adding it to ``SCREENS``.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e_browser.accessibility import (
    MODES,
    audit,
    describe,
    failing,
    look_as,
    out_of_reach,
    settle,
    sideways_scroll,
)
from tests.e2e_browser.harness import Api
from tests.e2e_browser.screens import SCREENS, Screen, keep_toasts, seed

#: Phone and narrow-window widths, in CSS pixels, at a phone's height.
PHONE_WIDTHS = (360, 390, 480)
PHONE_HEIGHT = 844


def _each_screen() -> list[Any]:
    return [
        pytest.param(
            screen,
            id=screen.name,
            marks=[] if screen.signed_in else [pytest.mark.signed_in_as(None)],
        )
        for screen in SCREENS
    ]


@pytest.mark.parametrize("screen", _each_screen())
def test_a_screen_has_no_serious_accessibility_violation_at_any_size_light_or_dark(
    page: Page, api: Api, screen: Screen
) -> None:
    seed(api)
    screen.reach(page, api)
    found = {}
    for mode in MODES:
        look_as(page, mode)
        violations = failing(audit(page))
        if violations:
            found[mode.name] = describe(violations)
    assert not found, "\n".join(f"{mode}:\n{text}" for mode, text in found.items())


@pytest.mark.parametrize("screen", _each_screen())
def test_on_a_phone_a_screen_never_scrolls_sideways_and_every_control_is_in_reach(
    page: Page, api: Api, screen: Screen
) -> None:
    seed(api)
    screen.reach(page, api)
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": PHONE_HEIGHT})
        keep_toasts(page)
        settle(page)
        assert sideways_scroll(page) == 0, f"at {width} px the page scrolls sideways"
        assert out_of_reach(page) == [], f"at {width} px"

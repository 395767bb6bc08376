"""The accessibility audit of the browser tests: axe-core (vendored in tests/e2e_browser/vendor/
by webclient/vendor.js, never served to users) run in the page as it is on screen.

axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does
not govern, so the strict CSP stays on in the audited page. The screen is audited in each mode
(desktop and phone size, light and dark) without leaving it.

    .venv/bin/python -m tests.e2e_browser.accessibility   # a table of what axe finds, per screen
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.e2e_browser.harness import chromium_missing_message
from tests.e2e_browser.screens import keep_toasts

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
#: What fails the audit (axe's impacts are minor, moderate, serious and critical).
FAILING_IMPACTS = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Mode:
    """A window size and colour scheme a screen is looked at in."""

    name: str  # "desktop-light": the screenshot's suffix too
    width: int
    height: int
    color_scheme: str  # "light" or "dark" (prefers-color-scheme)


DESKTOP = (1280, 900)
PHONE = (390, 844)
MODES = [
    Mode(f"{size}-{scheme}", width, height, scheme)
    for size, (width, height) in (("desktop", DESKTOP), ("phone", PHONE))
    for scheme in ("light", "dark")
]


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def settle(page: Any) -> None:
    """Waits for running CSS animations and transitions (a fading toast) to finish."""
    page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)"
        ".map(a => a.finished.catch(() => null)))"
    )


def look_as(page: Any, mode: Mode) -> None:
    page.set_viewport_size({"width": mode.width, "height": mode.height})
    page.emulate_media(color_scheme=mode.color_scheme)
    keep_toasts(page)
    settle(page)


def audit(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now: id, impact, help and the nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        session = page.context.new_cdp_session(page)
        try:
            session.send("Runtime.evaluate", {"expression": _axe_source()})
        finally:
            session.detach()
    settle(page)
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const result = await window.axe.run(document, { resultTypes: ['violations'] });
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary })),
          }));
        }"""
    )
    return result


#: The smallest touch target on a phone, in CSS pixels (the issue's 44 x 44).
TARGET = 44
#: What a person can press or type in.
CONTROLS = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])"


def sideways_scroll(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: it does not scroll sideways)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def out_of_reach(page: Any, target: int = TARGET) -> list[str]:
    """Every visible control that lies partly outside the window's width or is smaller than
    ``target`` square, described with its size and place."""
    found: list[str] = page.evaluate(
        """([selector, target]) => {
          const width = document.documentElement.clientWidth;
          const problems = [];
          for (const element of document.querySelectorAll(selector)) {
            const box = element.getBoundingClientRect();
            const style = getComputedStyle(element);
            if (box.width <= 1 || box.height <= 1 || style.visibility === 'hidden') continue;
            const name = (element.getAttribute('aria-label') || element.textContent
              || element.getAttribute('placeholder') || element.id || '').trim().slice(0, 40);
            const what = `${element.tagName.toLowerCase()} "${name}"`
              + ` ${Math.round(box.width)}x${Math.round(box.height)} at x=${Math.round(box.left)}`;
            if (box.left < -0.5 || box.right > width + 0.5) problems.push(`outside: ${what}`);
            if (box.width < target - 0.5 || box.height < target - 0.5) {
              problems.push(`too small: ${what}`);
            }
          }
          return problems;
        }""",
        [CONTROLS, target],
    )
    return found


def failing(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {node['target']}: {node['summary']}" for node in violation["nodes"]]
    return "\n".join(lines)


def report() -> str:
    """Markdown tables: every violation axe finds on every screen in every mode, and how each
    screen fits a phone."""
    from tests.e2e_browser.screens import visit_screens

    rows = []
    phone_rows = []
    totals: Counter[str] = Counter()
    for screen, page in visit_screens():
        for mode in MODES:
            look_as(page, mode)
            for violation in audit(page):
                count = len(violation["nodes"])
                totals[f"{violation['id']} ({violation['impact']})"] += count
                rows.append(
                    f"| {screen.name} | {mode.name} | {violation['id']} "
                    f"| {violation['impact']} | {count} |"
                )
        look_as(page, MODES[2])  # phone-light
        problems = out_of_reach(page)
        outside = sum(problem.startswith("outside") for problem in problems)
        phone_rows.append(
            f"| {screen.name} | {sideways_scroll(page)} | {outside} | {len(problems) - outside} |"
        )
    table = ["| screen | mode | rule | impact | elements |", "| --- | --- | --- | --- | --- |"]
    summary = [f"- {rule}: {count} elements" for rule, count in sorted(totals.items())]
    phone = [
        f"At {PHONE[0]} x {PHONE[1]}:",
        "",
        "| screen | sideways scroll (px) | controls outside the window | controls under 44 px |",
        "| --- | --- | --- | --- |",
    ]
    return "\n".join(
        [*table, *(rows or ["| (none) | | | | |"]), "", *summary, "", *phone, *phone_rows]
    )


if __name__ == "__main__":
    missing = chromium_missing_message()
    if missing:
        print(missing, file=sys.stderr)
        sys.exit(1)
    print(report())

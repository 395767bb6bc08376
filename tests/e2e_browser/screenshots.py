"""Takes the README's screenshots (docs/list.png, docs/form.png) with the browser tests' tooling.

    .venv/bin/python -m tests.e2e_browser.screenshots

Starts its own ``users-service serve`` over a temporary SQLite database and seeds it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.e2e_browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Api,
    chromium_missing_message,
    running_service,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"

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


def main() -> int:
    missing = chromium_missing_message()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    DOCS.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        running_service(Path(folder) / "users.db", Path(folder) / "service.log") as base,
    ):
        api = Api(base)
        for name, address, age, profession, website in PEOPLE:
            api.create(name=name, address=address, age=age, profession=profession, website=website)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 760}, base_url=base)
            page.goto("/#!/list")
            expect(page.locator(".page-status")).to_contain_text("1-10 of")
            page.mouse.move(0, 0)
            page.screenshot(path=str(DOCS / "list.png"))

            page.get_by_role("link", name="New").click()
            page.get_by_label("Name", exact=True).fill("Tim Berners-Lee")
            page.get_by_label("Address", exact=True).fill("CERN, Meyrin, Geneva")
            page.get_by_label("Age", exact=True).fill("200")
            page.get_by_label("Profession", exact=True).fill("Physicist")
            page.get_by_label("Website", exact=True).fill("javascript:alert(1)")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#user-age-message .field-error")).to_be_visible()
            page.wait_for_timeout(1500)  # let the toast finish fading in
            page.screenshot(path=str(DOCS / "form.png"))
            browser.close()
    print(f"wrote {DOCS / 'list.png'} and {DOCS / 'form.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Takes the screenshots in docs/screenshots/: each screen at desktop and phone size, light and
dark, as ``<screen>-<desktop|phone>-<light|dark>.png``, with the browser tests' tooling.

    .venv/bin/python -m tests.e2e_browser.screenshots

Starts its own ``users-service serve`` over a temporary SQLite database and seeds it. The
PNGs are reduced to a 256-colour palette when ``pngquant`` is installed
(``apt-get install pngquant``), which keeps each under about 100 KB.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e_browser.accessibility import MODES, look_as
from tests.e2e_browser.harness import chromium_missing_message
from tests.e2e_browser.screens import visit_screens

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: The file's name for each screen (screens.SCREENS) photographed.
SHOTS = {
    "signin": "signin",
    "list": "list",
    "list-confirm-delete": "list-delete",
    "form-errors": "form",
    "list-undo": "list-undo",
    "form-history": "history",
    "deleted": "deleted",
    "accounts": "accounts",
    "tokens": "tokens",
}


def main() -> int:
    missing = chromium_missing_message()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    FOLDER.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for screen, page in visit_screens(only=SHOTS):
        for mode in MODES:
            look_as(page, mode)
            path = FOLDER / f"{SHOTS[screen.name]}-{mode.name}.png"
            page.screenshot(path=str(path), animations="disabled")
            written.append(path)
    quantizer = shutil.which("pngquant")
    if quantizer:
        for path in written:
            command = [quantizer, "--force", "--skip-if-larger", "--output", str(path), str(path)]
            subprocess.run(command, check=False)
    print(f"wrote {len(written)} screenshots in {FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Whether a missing service (PostgreSQL, MariaDB, Chromium, the reliability folder's tools) skips
its tests or fails them.

`REQUIRE_TEST_SERVICES=1` (set by `.ci/run`) makes a missing service a failure, so a runner
that lacks one cannot go green by skipping; without it a plain `pytest` skips those tests and
says why in its summary.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRED = os.environ.get("REQUIRE_TEST_SERVICES", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Stop the current test or fixture: a failure when services are required, else a skip."""
    if REQUIRED:
        pytest.fail(f"{reason} (REQUIRE_TEST_SERVICES is set)", pytrace=False)
    pytest.skip(reason)

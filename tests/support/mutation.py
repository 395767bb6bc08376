"""Mutation runs (docs/testing.md) test each folder with its own tests: a mutant of domain/
with the unit and contract tests, a mutant of entrypoints/http/ with the HTTP tests.

mutmut names the mutant a test process runs under in MUTANT_UNDER_TEST; outside a mutation
run the variable is unset and nothing is deselected.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
FOLDERS_BY_PACKAGE = {
    "domain.": ("unit", "contract"),
    "entrypoints.http.": ("http",),
}


def keep_the_mutated_folders_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    folders = next((f for p, f in FOLDERS_BY_PACKAGE.items() if mutant.startswith(p)), None)
    if folders is None:
        return
    roots = [TESTS / folder for folder in folders]
    kept = [i for i in items if any(root in i.path.parents for root in roots)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept

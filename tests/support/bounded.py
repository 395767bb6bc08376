"""Loops in tests end: a walk that goes past what the test expects fails with what it saw."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Page = TypeVar("Page")


def follow(first: Page, step: Callable[[Page], Page | None], *, at_most: int) -> list[Page]:
    """`first` and each page `step` leads to until it gives None; more than `at_most` fails.

    Pass the number of pages the test expects plus a margin, so a cursor that loops or never
    runs out fails with the pages so far instead of hanging until the timeout.
    """
    pages = [first]
    while (following := step(pages[-1])) is not None:
        pages.append(following)
        if len(pages) > at_most:
            raise AssertionError(f"more than {at_most} pages, a cursor never ends: {pages}")
    return pages

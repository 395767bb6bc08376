"""The list query: what to select, in which order, and which page."""

from __future__ import annotations

import unicodedata
from typing import Final

from attrs import field, frozen

from domain.errors import InvalidQueryError
from domain.model import ATTRIBUTES, STRING_ATTRIBUTES, User, comparison_key
from domain.validation import TEXT_MAXIMA

SORTABLE: Final = ("id", *ATTRIBUTES)
#: The longest filter[search] term: a term longer than every attribute cannot occur in one
#: (a match never spans two attributes), and bounding it bounds what a search costs.
SEARCH_TERM_MAX: Final = max(TEXT_MAXIMA.values())
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
#: Numbered pages reach this many users from either end of a list, as Elasticsearch's
#: `index.max_result_window` does; deeper readers page by cursor. Near the end a page is read
#: backwards, so both ends cost a short walk whatever the list's size.
PAGE_WINDOW: Final = 10_000
#: A filtered list counts its matches up to here. Counting costs what it reads: a term one
#: user in eight matches reads eight keys per match counted, and a bound of PAGE_WINDOW missed
#: the 50 ms target under load where this one meets it (docs/performance.md). Numbered pages
#: need no count within the first PAGE_WINDOW users; only pages from the end need the total.
COUNT_BOUND: Final = 1_000


@frozen
class UserFilter:
    """Which users a list selects. Strings are stored here already folded by comparison_key.

    `exact` maps a string attribute to the folded value it must equal; `age` is an exact age;
    `age_min`/`age_max` are inclusive bounds; `search` is a folded substring that must occur in
    the folded name, address, profession or website.
    """

    exact: tuple[tuple[str, str], ...] = ()
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    search: str | None = None

    @classmethod
    def build(
        cls,
        exact: dict[str, str] | None = None,
        age: int | None = None,
        age_min: int | None = None,
        age_max: int | None = None,
        search: str | None = None,
    ) -> UserFilter:
        """Folds and checks raw client values. Raises InvalidQueryError."""
        folded: list[tuple[str, str]] = []
        for attribute, value in sorted((exact or {}).items()):
            if attribute not in STRING_ATTRIBUTES:
                raise InvalidQueryError(f"filter[{attribute}]", f"cannot filter on {attribute!r}")
            folded.append((attribute, comparison_key(_plain_text(f"filter[{attribute}]", value))))
        return cls(
            exact=tuple(folded),
            age=age,
            age_min=age_min,
            age_max=age_max,
            search=None if search is None else _search_term(search),
        )

    @property
    def is_empty(self) -> bool:
        return self == UserFilter()

    def matches(self, user: User) -> bool:
        """The reference semantics every adapter must reproduce."""
        for attribute, folded in self.exact:
            if comparison_key(getattr(user, attribute)) != folded:
                return False
        if self.age is not None and user.age != self.age:
            return False
        if self.age_min is not None and user.age < self.age_min:
            return False
        if self.age_max is not None and user.age > self.age_max:
            return False
        if self.search is not None:
            return any(
                self.search in comparison_key(getattr(user, attribute))
                for attribute in STRING_ATTRIBUTES
            )
        return True


def _search_term(term: str) -> str:
    if len(term) > SEARCH_TERM_MAX:
        raise InvalidQueryError(
            "filter[search]",
            f"filter[search] must be at most {SEARCH_TERM_MAX} characters, the most an "
            f"attribute holds; got {len(term)}",
        )
    return comparison_key(_plain_text("filter[search]", term))


def _plain_text(parameter: str, value: str) -> str:
    # Stored text holds no control character but the address's line breaks (stored as \n), and
    # no surrogate; a term with any other cannot match, and refusing it keeps SQL adapters free
    # to join fields with a control character separator.
    value = value.replace("\r\n", "\n")
    if any(unicodedata.category(c) in ("Cc", "Cs") and c != "\n" for c in value):
        raise InvalidQueryError(parameter, f"{parameter} must not contain control characters")
    return value


@frozen
class SortKey:
    field: str
    descending: bool = False

    def __attrs_post_init__(self) -> None:
        if self.field not in SORTABLE:
            raise InvalidQueryError("sort", f"cannot sort by {self.field!r}")

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def _complete(keys: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
    """Appends id as the tie-breaker, in the direction of the last key, and drops repeats."""
    seen: set[str] = set()
    unique: list[SortKey] = []
    for key in keys:
        if key.field not in seen:
            seen.add(key.field)
            unique.append(key)
        if key.field == "id":
            break  # id is unique: later keys could never matter
    if "id" not in seen:
        unique.append(SortKey("id", unique[-1].descending if unique else False))
    return tuple(unique)


@frozen
class SortOrder:
    """A total order on users: the requested keys, then id. Build with SortOrder.of(...)."""

    keys: tuple[SortKey, ...] = field(converter=_complete, default=())

    @classmethod
    def parse(cls, text: str) -> SortOrder:
        """`"name,-age"` style. Raises InvalidQueryError."""
        keys = []
        for part in text.split(","):
            descending = part.startswith("-")
            name = part[1:] if descending else part
            if name not in SORTABLE:
                raise InvalidQueryError("sort", f"cannot sort by {name!r}")
            keys.append(SortKey(name, descending))
        return cls(tuple(keys))

    @property
    def signature(self) -> str:
        return ",".join(str(key) for key in self.keys)

    def key_values(self, user: User) -> tuple[str | int, ...]:
        """The values this order compares, as stored in a cursor (strings folded)."""
        return tuple(sort_value(user, key.field) for key in self.keys)


def sort_value(user: User, attribute: str) -> str | int:
    """Strings sort by their comparison key, numbers by value."""
    value = getattr(user, attribute)
    return comparison_key(value) if isinstance(value, str) else value


@frozen
class NumberPage:
    """Page `number` (from 1) of `size` users."""

    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @property
    def start(self) -> int:
        """How many users come before the page."""
        return (self.number - 1) * self.size

    def reachable(self, total: int, exact: bool) -> bool:
        """Does the page lie within PAGE_WINDOW users of either end of a list of `total`
        users (at least `total` unless `exact`)? Within the first PAGE_WINDOW, a page past
        the end is reachable (and empty)."""
        if self.start + self.size <= PAGE_WINDOW:
            return True
        return exact and 0 < total - self.start <= PAGE_WINDOW


@frozen
class CursorPage:
    """`size` users after or before an opaque cursor; neither means the first page."""

    size: int = DEFAULT_PAGE_SIZE
    after: str | None = None
    before: str | None = None


@frozen
class UserQuery:
    filter: UserFilter = UserFilter()
    order: SortOrder = SortOrder()
    page: NumberPage | CursorPage = CursorPage()

    def __attrs_post_init__(self) -> None:
        size = self.page.size
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidQueryError(
                "page[size]", f"page[size] must be between 1 and {MAX_PAGE_SIZE}"
            )
        if isinstance(self.page, NumberPage) and self.page.number < 1:
            raise InvalidQueryError("page[number]", "page[number] must be 1 or more")
        if isinstance(self.page, CursorPage) and self.page.after and self.page.before:
            raise InvalidQueryError("page[before]", "use page[after] or page[before], not both")


@frozen
class UserPage:
    """One page of a list and the list's total.

    `total` counts the users the list selects; when `total_exact` is false it is a lower
    bound (a filtered list stops counting at COUNT_BOUND). In cursor mode
    `next_cursor`/`prev_cursor` are None at either end; in number mode they stay None and
    the caller derives links from the total.
    """

    users: tuple[User, ...]
    total: int
    total_exact: bool = True
    next_cursor: str | None = None
    prev_cursor: str | None = None


def counted_total(count: int, bound: int | None) -> tuple[int, bool]:
    """(total, exact) from a count that stopped at `bound` (None: never stopped). Storage may
    count further than asked; anything at the bound reads as "at least the bound"."""
    if bound is not None and count >= bound:
        return bound, False
    return count, True

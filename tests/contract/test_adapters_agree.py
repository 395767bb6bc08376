"""Random users and random queries: every adapter answers as the test's own model of listing
(tests/support/reference.py) says, and every SQL adapter exactly as the in-memory one does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import in_memory_uow_factory
from domain.errors import UserValidationError
from domain.model import ATTRIBUTES, STRING_ATTRIBUTES, NewUser
from domain.queries import SortKey, SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.contract.conftest import SQL_ADAPTERS, empty_store
from tests.support import reference

# Characters whose folding or ordering differs between Python, SQL lower() and collations,
# LIKE wildcards and the escape character, 4-byte and right-to-left characters.
ALPHABET = "aAzZ ßẞSsİiıΣσςﬃǅéÉe\u0301öÖΩω%_\\~😀𐐀𐐨\u200fש-"  # noqa: RUF001
text = st.text(ALPHABET, min_size=1, max_size=6)


@st.composite
def new_users(draw: st.DrawFn) -> list[NewUser]:
    users: dict[str, NewUser] = {}
    for _ in range(draw(st.integers(0, 12))):
        attributes = {
            "name": draw(text),
            "address": draw(text | st.just("x" * 210) | st.just("x" * 205 + "ß")),
            "age": draw(st.integers(0, 150)),
            "profession": draw(text),
            "website": "https://"
            + draw(text.map(lambda t: t.replace(" ", "").replace("\\", "")))
            + "x.example",
        }
        try:
            user = validate_new_user(attributes)
        except UserValidationError:
            continue
        users.setdefault(user.name_key, user)
    return list(users.values())


def _filters(draw: st.DrawFn, users: list[NewUser]) -> tuple[UserFilter, dict[str, Any]]:
    """A filter, and the same filter as the client's values for the reference model."""
    values: dict[str, Any] = {}
    stored = st.sampled_from(users) if users else st.nothing()
    # A stored user's age half of the time, so the inclusive bounds meet a user exactly.
    ages = st.integers(0, 150) | st.sampled_from([u.age for u in users] or [0])
    if users and draw(st.booleans()):
        attribute = draw(st.sampled_from(STRING_ATTRIBUTES))
        values["exact"] = {attribute: getattr(draw(stored), attribute).swapcase()}
    if draw(st.integers(0, 3)) == 0:
        values["age"] = draw(ages)
    if draw(st.booleans()):
        values["age_min"] = draw(ages)
    if draw(st.booleans()):
        values["age_max"] = draw(ages)
    if draw(st.booleans()):
        if users and draw(st.booleans()):
            field = getattr(draw(stored), draw(st.sampled_from(STRING_ATTRIBUTES))).casefold()
            start = draw(st.integers(0, len(field) - 1))
            # 1-2 characters are scanned on SQLite, 3 and more found by its trigram index.
            values["search"] = field[start : start + draw(st.integers(1, 6))]
        else:
            values["search"] = draw(text)
    return UserFilter.build(**values), values


def _rows(users: list[NewUser]) -> list[dict[str, Any]]:
    return [{"id": i, **{a: getattr(u, a) for a in ATTRIBUTES}} for i, u in enumerate(users, 1)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[NewUser], list[int], list[dict[str, Any]]]:
    users = draw(new_users())
    removed = draw(st.lists(st.integers(1, max(len(users), 1)), max_size=3, unique=True))
    queries = []
    for _ in range(draw(st.integers(1, 6))):
        fields = draw(st.lists(st.sampled_from(("id", *ATTRIBUTES)), min_size=1, max_size=3))
        directions = [draw(st.booleans()) for _ in fields]
        sort = ",".join(("-" if d else "") + f for f, d in zip(fields, directions, strict=True))
        order = SortOrder(tuple(SortKey(f, d) for f, d in zip(fields, directions, strict=True)))
        boundary = None
        if users and draw(st.booleans()):
            # A stored user's place in the order, or a place just beside it (id moved by one).
            anchor = draw(st.sampled_from(_rows(users)))
            boundary = reference.key_of(anchor, reference.parse_sort(sort))
            boundary = (*boundary[:-1], boundary[-1] + draw(st.sampled_from((-1, 0, 0, 1))))
        selection, filters = _filters(draw, users)
        queries.append(
            {
                "selection": selection,
                "order": order,
                "limit": draw(st.integers(1, 6)),
                "offset": draw(st.integers(0, 3)),
                "boundary": boundary,
                "backward": draw(st.booleans()),
                "reference": (sort, filters),
            }
        )
    return users, removed, queries


def _expected(users: list[NewUser], removed: list[int], queries: list[dict[str, Any]]) -> list[Any]:
    """What the reference model answers: the ids each find returns, and each count."""
    answers: list[Any] = []
    for query in queries:
        sort, filters = query["reference"]
        keys = reference.parse_sort(sort)
        rows = [r for r in _rows(users) if r["id"] not in removed]
        rows = [r for r in rows if reference.matches(r, filters)]
        if query["boundary"] is not None:
            found = reference.beyond(rows, keys, query["boundary"], backward=query["backward"])
        else:
            found = reference.ordered(rows, keys)[:: -1 if query["backward"] else 1]
        answers.append([r["id"] for r in found[query["offset"] :][: query["limit"]]])
        answers.append(len(rows))
    return answers


def _answers(
    factory: Any, users: list[NewUser], removed: list[int], queries: list[dict[str, Any]]
) -> list[Any]:
    with factory() as uow:
        for user in users:
            uow.users.add(user)
        for user_id in removed:
            if user_id <= len(users):
                uow.users.remove(user_id, None)
        uow.commit()
    answers: list[Any] = []
    with factory() as uow:
        for query in queries:
            options = {k: v for k, v in query.items() if k != "reference"}
            answers.append(uow.users.find(**options))
            answers.append(uow.users.count(query["selection"]))
    return answers


def _ids(answers: list[Any]) -> list[Any]:
    return [[u.id for u in a] if isinstance(a, list) else a for a in answers]


@pytest.mark.parametrize("kind", SQL_ADAPTERS)
def test_sql_adapters_find_and_count_as_the_memory_adapter_does(
    request: pytest.FixtureRequest, kind: str
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(scenarios())
    def compare(scenario: tuple[list[NewUser], list[int], list[dict[str, Any]]]) -> None:
        users, removed, queries = scenario
        memory = _answers(in_memory_uow_factory(), users, removed, queries)
        assert _ids(memory) == _expected(users, removed, queries)
        assert _answers(empty_store(request, kind), users, removed, queries) == memory

    compare()

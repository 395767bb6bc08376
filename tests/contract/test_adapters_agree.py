"""Random users and random queries: every SQL adapter answers as the in-memory one does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import in_memory_uow_factory
from domain.cursors import including
from domain.errors import UserValidationError
from domain.model import ATTRIBUTES, STRING_ATTRIBUTES, NewUser, comparison_key
from domain.queries import SortKey, SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.contract.conftest import SQL_ADAPTERS, empty_store

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


def _filters(draw: st.DrawFn, users: list[NewUser]) -> UserFilter:
    values: dict[str, Any] = {}
    stored = st.sampled_from(users) if users else st.nothing()
    if users and draw(st.booleans()):
        attribute = draw(st.sampled_from(STRING_ATTRIBUTES))
        values["exact"] = {attribute: draw(stored).__getattribute__(attribute).swapcase()}
    if draw(st.integers(0, 3)) == 0:
        values["age"] = draw(st.integers(0, 150))
    if draw(st.booleans()):
        values["age_min"] = draw(st.integers(0, 150))
    if draw(st.booleans()):
        values["age_max"] = draw(st.integers(0, 150))
    if draw(st.booleans()):
        if users and draw(st.booleans()):
            field = comparison_key(getattr(draw(stored), draw(st.sampled_from(STRING_ATTRIBUTES))))
            start = draw(st.integers(0, len(field) - 1))
            # 1-2 characters are scanned on SQLite, 3 and more found by its trigram index.
            values["search"] = field[start : start + draw(st.integers(1, 6))]
        else:
            values["search"] = draw(text)
    return UserFilter.build(**values)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[NewUser], list[int], list[dict[str, Any]]]:
    users = draw(new_users())
    removed = draw(st.lists(st.integers(1, max(len(users), 1)), max_size=3, unique=True))
    queries = []
    for _ in range(draw(st.integers(1, 6))):
        fields = draw(st.lists(st.sampled_from(("id", *ATTRIBUTES)), min_size=1, max_size=3))
        order = SortOrder(tuple(SortKey(f, draw(st.booleans())) for f in fields))
        boundary = None
        if users and draw(st.booleans()):
            boundary = order.key_values(_as_user(draw(st.sampled_from(users)), 1))
            if draw(st.booleans()):
                boundary = including(order, boundary, probing_forward=draw(st.booleans()))
        queries.append(
            {
                "selection": _filters(draw, users),
                "order": order,
                "limit": draw(st.integers(1, 6)),
                "offset": draw(st.integers(0, 3)),
                "boundary": boundary,
                "backward": draw(st.booleans()),
            }
        )
    return users, removed, queries


def _as_user(new_user: NewUser, user_id: int) -> Any:
    from domain.model import User

    return User(id=user_id, **{a: getattr(new_user, a) for a in ATTRIBUTES})


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
            answers.append(uow.users.find(**query))
            answers.append(uow.users.count(query["selection"]))
    return answers


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
        expected = _answers(in_memory_uow_factory(), users, removed, queries)
        assert _answers(empty_store(request, kind), users, removed, queries) == expected

    compare()

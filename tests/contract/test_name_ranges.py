"""The counted name ranges (adapters/name_buckets.py) stay exact, and offset pages in name
order through them are the pages a plain OFFSET gives, on SQLite and PostgreSQL.

Ranges here hold one to three users, so that every page crosses several and every write
lands in a small one; the service uses thousands per range.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from adapters import name_buckets
from domain.errors import DuplicateNameError, UserValidationError
from domain.model import comparison_key
from domain.queries import SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.contract.conftest import SQL_ADAPTERS, empty_store
from tests.contract.test_adapters_agree import text as any_text
from tests.support.users import user_attributes


def _valid(name: str) -> bool:
    try:
        _new(name)
    except UserValidationError:
        return False
    return True


names = any_text.filter(_valid)

NAME_ORDER = SortOrder.parse("name")


def _new(name: str) -> Any:
    return validate_new_user(user_attributes(name=name, profession="Tester"))


def _problems(engine: Engine) -> list[str]:
    """Each range's count (its total and its changes not folded yet) against the users its
    key range holds."""
    with engine.connect() as connection:
        ranges = connection.execute(
            text(
                "SELECT lower_key, total + coalesce((SELECT sum(delta) FROM name_bucket_changes"
                " AS c WHERE c.lower_key = b.lower_key), 0) FROM name_buckets AS b"
                " ORDER BY lower_key"
            )
        ).all()
        keys = sorted(connection.execute(text("SELECT name_key FROM users")).scalars())
    problems = [] if ranges and ranges[0][0] == "" else ["no range starts at ''"]
    for index, (lower, total) in enumerate(ranges):
        upper = ranges[index + 1][0] if index + 1 < len(ranges) else None
        held = sum(1 for key in keys if key >= lower and (upper is None or key < upper))
        if held != total:
            problems.append(f"range {lower!r} says {total}, holds {held}")
    return problems


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), names),
        st.tuples(st.just("rename"), st.integers(0, 30), names),
        st.tuples(st.just("remove"), st.integers(0, 30)),
        st.tuples(st.just("balance"), st.integers(1, 3)),
        st.tuples(st.just("fold")),
    ),
    max_size=25,
)


@pytest.mark.parametrize("kind", SQL_ADAPTERS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.lists(names, max_size=15), steps=operations, limit=st.integers(1, 4))
def test_offset_pages_through_counted_ranges_match_the_name_order(
    request: pytest.FixtureRequest, kind: str, start: list[str], steps: list[Any], limit: int
) -> None:
    uow_factory = empty_store(request, kind)
    engine: Engine = request.getfixturevalue(f"{kind}_engine")
    expected: dict[int, str] = {}  # id -> name key: the reference order

    def write(action: Any) -> None:
        try:
            with uow_factory() as uow:
                action(uow)
                uow.commit()
        except DuplicateNameError:  # nothing changed
            pass

    def add(uow: Any, name: str) -> None:
        user = uow.users.add(_new(name))
        expected[user.id] = comparison_key(user.name)

    for name in start:
        write(lambda uow, name=name: add(uow, name))
    for step in steps:
        ids = sorted(expected)
        if step[0] == "add":
            write(lambda uow, name=step[1]: add(uow, name))
        elif step[0] == "rename" and ids:
            user_id = ids[step[1] % len(ids)]

            def rename(uow: Any, user_id: int = user_id, name: str = step[2]) -> None:
                user = uow.users.change(user_id, {"name": _new(name).name}, None)
                expected[user_id] = comparison_key(user.name)

            write(rename)
        elif step[0] == "remove" and ids:
            user_id = ids[step[1] % len(ids)]

            def remove(uow: Any, user_id: int = user_id) -> None:
                uow.users.remove(user_id, None)
                del expected[user_id]

            write(remove)
        elif step[0] == "balance":
            name_buckets.balance(engine, lambda _total, size=step[1]: size)
        elif step[0] == "fold":
            name_buckets.fold(engine)
        assert _problems(engine) == []
    order = sorted(expected, key=expected.__getitem__)
    for offset in range(len(order) + 2):
        with uow_factory() as uow:
            page = uow.users.find(UserFilter(), NAME_ORDER, limit=limit, offset=offset)
        assert [user.id for user in page] == order[offset : offset + limit], offset


def _store_of(
    request: pytest.FixtureRequest, kind: str, users: int
) -> tuple[Any, Engine, list[Any]]:
    """An empty store of `kind` with `users` users added, its engine and the users."""
    uow_factory = empty_store(request, kind)
    engine: Engine = request.getfixturevalue(f"{kind}_engine")
    with uow_factory() as uow:
        added = [uow.users.add(_new(f"user {index:02}")) for index in range(users)]
        uow.commit()
    return uow_factory, engine, added


@pytest.mark.parametrize("kind", SQL_ADAPTERS)
def test_rebuild_counts_the_ranges_again_from_the_users(
    request: pytest.FixtureRequest, kind: str
) -> None:
    _, engine, _ = _store_of(request, kind, 40)
    with engine.begin() as connection:  # a count gone wrong
        connection.execute(text("UPDATE name_buckets SET total = 7"))
    assert _problems(engine) != []
    name_buckets.rebuild(engine, lambda _total: 4)
    assert _problems(engine) == []
    with engine.connect() as connection:
        ranges = connection.execute(text("SELECT count(*) FROM name_buckets")).scalar_one()
    assert ranges == 10
    assert name_buckets.balance(engine, lambda _total: 4) == 0  # nothing left to do


@pytest.mark.parametrize("kind", SQL_ADAPTERS)
def test_balance_merges_ranges_emptied_by_removals(
    request: pytest.FixtureRequest, kind: str
) -> None:
    uow_factory, engine, added = _store_of(request, kind, 30)
    name_buckets.balance(engine, lambda _total: 3)
    with uow_factory() as uow:
        for user in added[:27]:
            uow.users.remove(user.id, None)
        uow.commit()
    name_buckets.balance(engine, lambda _total: 3)
    assert _problems(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM name_buckets")).scalar_one() <= 2


@pytest.mark.parametrize("kind", SQL_ADAPTERS)
def test_pages_count_the_changes_not_folded_yet(request: pytest.FixtureRequest, kind: str) -> None:
    uow_factory, engine, _ = _store_of(request, kind, 6)  # user 00 .. user 05
    name_buckets.balance(engine, lambda _total: 2)  # [user 00, 01] [02, 03] [04, 05]
    with uow_factory() as uow:
        for name in ("user 00a", "user 00b", "user 02a"):  # appended changes on PostgreSQL
            uow.users.add(_new(name))
        uow.commit()
    expected = ["user 00", "user 00a", "user 00b", "user 01", "user 02", "user 02a", "user 03"]
    expected += ["user 04", "user 05"]
    for offset in range(len(expected)):
        with uow_factory() as uow:
            page = uow.users.find(UserFilter(), NAME_ORDER, limit=2, offset=offset)
        assert [user.name for user in page] == expected[offset : offset + 2], offset
    name_buckets.fold(engine)
    assert _problems(engine) == []


@pytest.mark.parametrize("kind", SQL_ADAPTERS)
def test_a_balancing_round_cuts_a_bounded_number_of_ranges(
    request: pytest.FixtureRequest, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    uow_factory, engine, _ = _store_of(request, kind, 40)
    monkeypatch.setattr(name_buckets, "CUTS_PER_ROUND", 3)
    rounds = []
    while changed := name_buckets.balance(engine, lambda _total: 4):
        rounds.append(changed)
        assert _problems(engine) == []
    assert rounds == [3, 3, 3]  # 10 ranges of 4 users, 3 cuts a round
    with uow_factory() as uow:
        page = uow.users.find(UserFilter(), NAME_ORDER, limit=3, offset=37)
    assert [user.name for user in page] == ["user 37", "user 38", "user 39"]

"""The search sample (adapters/search.py) is read once per term per SAMPLE_KEPT_S by the units
of work of one engine, and a stale answer never changes what a search finds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from adapters import search
from adapters.schema import upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import SqlAlchemyUnitOfWork, sql_uow_factory
from domain.queries import SortOrder, UserFilter
from domain.validation import validate_new_user
from tests.emptying import empty_database
from tests.support.users import user_attributes

NAMES = ["taxidermist Ann", "Bob", "Carol", "taxidermist Dan"]


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'users.db'}"
    else:
        url = request.getfixturevalue("mariadb_url")
    upgrade_to_head(url)
    engine = create_engine_for(url)
    empty_database(engine)
    with SqlAlchemyUnitOfWork(engine) as uow:
        for name in NAMES:
            uow.users.add(validate_new_user(user_attributes(name=name)))
        uow.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def samples_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    original = search.sample_statement

    def counting(term: str, dialect: str) -> Any:
        read.append(term)
        return original(term, dialect)

    monkeypatch.setattr(search, "sample_statement", counting)
    return read


def found(uow: Any, term: str) -> list[str]:
    selection, order = UserFilter.build(search=term), SortOrder.parse("name")
    return [user.name for user in uow.users.find(selection, order, limit=10)]


def test_units_of_one_factory_read_a_terms_sample_once(
    engine: Engine, samples_read: list[str]
) -> None:
    factory = sql_uow_factory(engine)
    for _ in range(3):
        with factory().reading() as uow:
            assert found(uow, "taxiderm") == ["taxidermist Ann", "taxidermist Dan"]
    with factory().reading() as uow:
        assert found(uow, "carol") == ["Carol"]
    assert samples_read == ["taxiderm", "carol"]


def test_the_sample_is_read_again_once_kept_long_enough(
    engine: Engine, samples_read: list[str]
) -> None:
    now = [0.0]
    samples = search.SampleCache(clock=lambda: now[0])
    for moment in (0.0, search.SAMPLE_KEPT_S, search.SAMPLE_KEPT_S + 1):
        now[0] = moment
        with SqlAlchemyUnitOfWork(engine, samples=samples) as uow:
            found(uow, "taxiderm")
    assert samples_read == ["taxiderm", "taxiderm"]


@pytest.mark.parametrize(
    "stale",
    [search.Sampled(common=True), search.Sampled(common=False)],
    ids=["said-common", "said-rare"],
)
def test_a_stale_sample_changes_the_plan_never_the_answer(
    engine: Engine, stale: search.Sampled
) -> None:
    samples = search.SampleCache()
    for term in ("taxiderm", "bob"):
        samples.put(term, stale)
    with SqlAlchemyUnitOfWork(engine, samples=samples) as uow:
        assert found(uow, "taxiderm") == ["taxidermist Ann", "taxidermist Dan"]
        assert found(uow, "bob") == ["Bob"]
        assert uow.users.count(UserFilter.build(search="taxiderm")) == 2


def test_the_kept_answers_are_bounded() -> None:
    samples = search.SampleCache()
    for number in range(search.SAMPLES_KEPT + 5):
        samples.put(f"term {number}", search.NOT_SAMPLED)
    assert samples.get(f"term {search.SAMPLES_KEPT + 4}") == search.NOT_SAMPLED
    assert samples.get("term 0") is None

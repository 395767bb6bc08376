"""Migration 0006 recomputes every comparison key as NFKC_Casefold, and refuses, changing
nothing, when existing names collide under it (issue 12 item 4), on every SQL database."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from adapters.database_url import normalize_database_url
from adapters.schema import alembic_config, upgrade_to_head
from adapters.sql import create_engine_for
from adapters.unit_of_work import sql_uow_factory
from domain.queries import SortOrder, UserFilter
from domain.use_cases import register_user
from tests.support.users import user_attributes

BEFORE = "0005_name_buckets"
SEPARATOR = "\x1f"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("new_postgres_url")())


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    upgrade_to_head(url)
    made = create_engine(normalize_database_url(url))
    try:
        yield made
    finally:
        made.dispose()


def _add(url: str, name: str, address: str = "1 Main Street") -> int:
    service = create_engine_for(url)
    try:
        attributes = user_attributes(
            name=name, address=address, profession="engineer", website="https://e.example"
        )
        return register_user(sql_uow_factory(service)(), attributes).id
    finally:
        service.dispose()


def _as_before_0006(engine: Engine, user_id: int, name: str, address: str) -> None:
    """The row as 0005's code wrote it: the text as sent, keys by str.casefold."""
    keys = {
        "name": name,
        "name_key": name.casefold(),
        "address": address,
        "address_key": address.casefold(),
        "address_prefix": address.casefold()[:200],
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE users SET name = :name, name_key = :name_key, address = :address, "
                "address_key = :address_key, address_prefix = :address_prefix WHERE id = :id"
            ),
            {**keys, "id": user_id},
        )
        connection.execute(
            text("UPDATE user_search_keys SET search_key = :key WHERE user_id = :id"),
            {
                "key": SEPARATOR.join(
                    [name.casefold(), address.casefold(), "engineer", "https://e.example"]
                ),
                "id": user_id,
            },
        )


def _keys(engine: Engine) -> dict[int, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name_key, address_key FROM users"))
        return {row.id: (row.name_key, row.address_key) for row in rows}


def _counts_agree(engine: Engine) -> None:
    """The name ranges and the user counter still count the rows."""
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM users")).scalar_one()
        counted = connection.execute(text("SELECT sum(total) FROM user_counts")).scalar_one()
        ranges = connection.execute(text("SELECT sum(total) FROM name_buckets")).scalar_one()
        pending = connection.execute(
            text("SELECT coalesce(sum(delta), 0) FROM name_bucket_changes")
        ).scalar_one()
    assert total == counted == ranges + pending


def test_old_keys_become_nfkc_casefold_and_look_alikes_are_found(url: str, engine: Engine) -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Brontë")
    fullwidth = "\uff27\uff52\uff41\uff43\uff45 \uff28\uff4f\uff50\uff50\uff45\uff52"  # full width
    users = {
        _add(url, "Zoe Bronte placeholder"): (decomposed, "Rue de l\u2019E\u0301glise"),
        _add(url, "Grace placeholder"): (fullwidth, "\ufb01ve \uff2d\uff41\uff49\uff4e Street"),
        _add(url, "Ada Lovelace"): ("Ada Lovelace", "1 Main Street"),
    }
    for user_id, (name, address) in users.items():
        _as_before_0006(engine, user_id, name, address)
    command.downgrade(alembic_config(url), BEFORE)

    command.upgrade(alembic_config(url), "0006_nfkc_name_keys")
    _counts_agree(engine)  # while the name ranges (dropped by 0007) still exist
    upgrade_to_head(url)

    keys = _keys(engine)
    assert keys == {
        next(iter(users)): ("zoë brontë", "rue de l\u2019église"),
        list(users)[1]: ("grace hopper", "five main street"),
        list(users)[2]: ("ada lovelace", "1 main street"),
    }
    service = create_engine_for(url)
    try:
        with sql_uow_factory(service)() as uow:
            by_name = uow.users.find(
                UserFilter.build(exact={"name": "ZOË BRONTË"}), SortOrder(), limit=10
            )
            searched = uow.users.find(UserFilter.build(search="Five Main"), SortOrder(), limit=10)
            églises = uow.users.find(UserFilter.build(search="église"), SortOrder(), limit=10)
    finally:
        service.dispose()
    assert [user.name for user in by_name] == [decomposed]  # stored as it was
    assert [user.name for user in searched] == [fullwidth]
    assert [user.name for user in églises] == [decomposed]
    command.check(alembic_config(url))


def test_names_that_now_collide_are_reported_and_nothing_changes(
    url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    composed = _add(url, "Zoë")
    decomposed = _add(url, "Zoe placeholder")
    invisible = _add(url, "Ada placeholder")
    plain = _add(url, "AdaLovelace")
    _as_before_0006(engine, decomposed, "Zoe\u0308", "1 Main Street")
    _as_before_0006(engine, invisible, "Ada\u200bLovelace", "1 Main Street")
    command.downgrade(alembic_config(url), BEFORE)
    before = _keys(engine)

    with caplog.at_level(logging.INFO), pytest.raises(ValueError) as failed:
        upgrade_to_head(url)

    message = str(failed.value)
    assert "2 group(s)" in message and "users-service migrate" in message
    reported = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(f"id {composed} 'Zoë'" in line and f"id {decomposed}" in line for line in reported)
    assert any(
        f"id {invisible}" in line and f"id {plain} 'AdaLovelace'" in line for line in reported
    )
    assert _keys(engine) == before
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == BEFORE

    # Resolved as the message says (one of each group renamed), the migration goes through.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET name = 'Zoe Two', name_key = 'zoe two' WHERE id = :id"),
            {"id": decomposed},
        )
        connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": invisible})
    upgrade_to_head(url)
    assert _keys(engine)[composed][0] == "zoë"

"""Every spelling of a database URL the service takes, and what each becomes."""

from __future__ import annotations

import pytest

from adapters.database_url import normalize_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("mysql://u:p@h:3306/d", "mysql+pymysql://u:p@h:3306/d"),
        ("mariadb://u:p@h:3306/d", "mysql+pymysql://u:p@h:3306/d"),
        ("mysql+pymysql://u@h/d?ssl_ca=/ca.pem", "mysql+pymysql://u@h/d?ssl_ca=/ca.pem"),
        ("mariadb+pymysql://u@h/d", "mysql+pymysql://u@h/d"),
        ("mysql+mysqldb://u@h/d", "mysql+pymysql://u@h/d"),
        ("MySQL://u@h/d", "mysql+pymysql://u@h/d"),
        ("  sqlite:///users.db ", "sqlite:///users.db"),
        ("sqlite+pysqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_each_accepted_spelling_names_the_driver_we_ship(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize(
    "given",
    ["oracle://u:hunter2@h/d", "mysql+mysqlconnector://u:hunter2@h/d", "u:hunter2@h/d", ""],
)
def test_other_urls_are_refused_without_repeating_them(given: str) -> None:
    with pytest.raises(ValueError) as refused:
        normalize_database_url(given)
    assert "hunter2" not in str(refused.value)
    assert "mysql://" in str(refused.value)

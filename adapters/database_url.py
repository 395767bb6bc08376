"""One spelling for every database URL the service accepts."""

from __future__ import annotations

from typing import Final

DEFAULT_DATABASE_URL: Final = "sqlite:///users.db"

# SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which is not installed; name the
# driver we ship so every spelling a hosting platform hands out ends up on psycopg2.
_POSTGRES_SCHEMES: Final = frozenset({"postgres", "postgresql", "postgresql+psycopg2"})
_SQLITE_SCHEMES: Final = frozenset({"sqlite", "sqlite+pysqlite"})
# Likewise a bare mysql:// means mysqlclient to SQLAlchemy, which needs a compiler and client
# headers to install; PyMySQL (pure Python) speaks the same protocol to MySQL and MariaDB.
# `+mysqldb` names mysqlclient's module: the server it points at is served through PyMySQL too.
_MYSQL_SCHEMES: Final = frozenset(
    f"{server}{driver}"
    for server in ("mysql", "mariadb")
    for driver in ("", "+pymysql", "+mysqldb")
)
MYSQL_URL_SCHEME: Final = "mysql+pymysql"


def normalize_database_url(url: str) -> str:
    """`postgres://`, `postgresql://`, `postgresql+psycopg2://` become `postgresql+psycopg2://`;
    `mysql://`, `mariadb://` (each also with `+pymysql` or `+mysqldb`) become
    `mysql+pymysql://`; `sqlite:///path` stays as it is. Raises ValueError for anything else.

    The message never repeats the URL, which may hold a password.
    """
    text = url.strip()
    scheme, separator, rest = text.partition("://")
    scheme = scheme.lower()
    if separator and scheme in _POSTGRES_SCHEMES:
        return f"postgresql+psycopg2://{rest}"
    if separator and scheme in _MYSQL_SCHEMES:
        return f"{MYSQL_URL_SCHEME}://{rest}"
    if separator and scheme in _SQLITE_SCHEMES:
        return f"sqlite://{rest}"
    shown = scheme if separator else "(none)"
    raise ValueError(
        f"unsupported database URL scheme {shown}: use postgresql://..., mysql://... "
        "(MariaDB or MySQL) or sqlite:///path"
    )

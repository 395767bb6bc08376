"""filter[search] on SQLite through an FTS5 trigram index instead of a scan of every row.

`user_search_keys.search_key` holds each user's four folded fields joined by
SEARCH_SEPARATOR. PostgreSQL answers `search_key LIKE '%term%'` from its pg_trgm index.
SQLite has no such index on a column; `users_search` (migrations 0002, 0003) is an
external-content FTS5 table over `user_search_keys.search_key` (rowid = the user's id) with
the trigram tokenizer, kept in step by triggers on `user_search_keys`:

- `case_sensitive 1`: the text is already folded by Python's casefold (as the term is), so
  the tokenizer must not fold it again its own way.
- A phrase query `"term"` (with `"` doubled) matches the rows where the trigrams of the term
  occur at consecutive positions, that is, where the term occurs as a substring. Inside a
  phrase nothing else is syntax, so `%`, `_`, `\\`, `*`, `'`, AND/OR/NEAR are plain text.
- A match cannot span two fields: the separator is a character of the indexed text and a
  term never holds it (control characters are refused by UserFilter.build).
- Terms shorter than three characters have no trigram and match nothing in FTS5: those
  keep the LIKE scan.

Every other database, and short terms everywhere, use the LIKE condition unchanged.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, Select, literal_column, select, table

from adapters.tables import SEARCH_INDEX, user_search_keys, users

#: The fewest characters of a term the trigram index can find.
TRIGRAM: Final = 3

_index = table(SEARCH_INDEX)
_LIKE_ESCAPE: Final = "\\"


#: Run on every new SQLite connection before its first transaction (adapters/engine.py). FTS5
#: reads its configuration when a connection first uses the table, as the insert trigger
#: does: inside a BEGIN that read holds a snapshot, and the insert's write lock then fails at
#: once with "database is locked" when another writer has it, instead of waiting out the busy
#: timeout (about one POST in a few hundred under 32 clients). Harmless without the table.
CONNECT_SEARCH_INDEX: Final = f"PRAGMA table_info({SEARCH_INDEX})"


def trigram_phrase(term: str) -> str:
    """`term` as an FTS5 phrase: in double quotes, each double quote doubled."""
    return '"' + term.replace('"', '""') + '"'


def escape_like(term: str) -> str:
    return (
        term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )


def search_condition(term: str, dialect: str) -> ColumnElement[bool]:
    """Users with `term` (folded) in a search key: through SQLite's FTS5 index where the term
    is long enough for it, otherwise a LIKE on the search keys (PostgreSQL's trigram index).

    Keys and term are both folded, so SQLite's ASCII-only case-insensitive LIKE and
    PostgreSQL's case-sensitive LIKE agree. psycopg2 binds values client-side, so PostgreSQL
    plans with the pattern as a constant and can use the trigram index.
    """
    if dialect == "sqlite" and len(term) >= TRIGRAM:
        matching: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(_index)
            .where(literal_column(SEARCH_INDEX).op("MATCH")(trigram_phrase(term)))
        )
        return users.c.id.in_(matching)
    pattern = f"%{escape_like(term)}%"
    return users.c.id.in_(
        select(user_search_keys.c.user_id).where(
            user_search_keys.c.search_key.like(pattern, escape=_LIKE_ESCAPE)
        )
    )

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
- What reaches the index is bounded, whatever the term (issue 12: a 65,000-character term
  of one repeated letter took 3 s and 190 MB per request, as a phrase of 65,000 tokens):
  a term of up to PHRASE_CHARS_MAX characters goes as its phrase; a longer one as at most
  TRIGRAMS_MAX of its distinct trigrams, ANDed. Either way the index only narrows the
  candidates, and the LIKE on each candidate's key decides (the term's length is bounded
  too: domain.queries.SEARCH_TERM_MAX).

Every other database, and short terms everywhere, use the LIKE condition unchanged.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, Select, literal_column, select, table

from adapters.per_dialect import OnSqlite
from adapters.tables import SEARCH_INDEX, users

#: The fewest characters of a term the trigram index can find.
TRIGRAM: Final = 3
#: The longest term sent to the index as one phrase (PHRASE_CHARS_MAX - 2 trigrams) ...
PHRASE_CHARS_MAX: Final = 32
#: ... and how many of a longer term's distinct trigrams are sent instead.
TRIGRAMS_MAX: Final = 8

_index = table(SEARCH_INDEX)
#: The escape character of the LIKE patterns on search keys.
LIKE_ESCAPE: Final = "\\"


#: Run on every new SQLite connection before its first transaction (adapters/engine.py). FTS5
#: reads its configuration when a connection first uses the table, as the insert trigger
#: does: inside a BEGIN that read holds a snapshot, and the insert's write lock then fails at
#: once with "database is locked" when another writer has it, instead of waiting out the busy
#: timeout (about one POST in a few hundred under 32 clients). Harmless without the table.
CONNECT_SEARCH_INDEX: Final = f"PRAGMA table_info({SEARCH_INDEX})"


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def trigram_phrase(term: str) -> str:
    """The FTS5 query for `term`: its phrase (in double quotes, each double quote doubled)
    up to PHRASE_CHARS_MAX characters, else at most TRIGRAMS_MAX of its distinct trigrams,
    spread over the term, each a phrase, ANDed. Every row holding the term matches it."""
    if len(term) <= PHRASE_CHARS_MAX:
        return _phrase(term)
    distinct = list(dict.fromkeys(term[at : at + TRIGRAM] for at in range(len(term) - 2)))
    step = max(1, len(distinct) // TRIGRAMS_MAX)
    return " AND ".join(_phrase(trigram) for trigram in distinct[::step][:TRIGRAMS_MAX])


def search_shape(term: str) -> str:
    """A placeholder standing for every term whose search condition has the same SQL."""
    return "" if len(term) < TRIGRAM else " " * TRIGRAM


def substring_condition(
    term: str, like: ColumnElement[bool], phrase: Any, pattern: Any
) -> ColumnElement[bool]:
    """`like` (the LIKE on the search keys), on SQLite the trigram index for the terms it can
    serve, each of its candidates checked by `pattern`, the LIKE pattern of `like`.

    `phrase` is trigram_phrase(term), or a bound parameter that will hold it; `pattern` the
    LIKE pattern, or a bound parameter.
    """
    if len(term) < TRIGRAM:
        return like
    matching: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(_index)
        .where(
            literal_column(SEARCH_INDEX).op("MATCH")(phrase),
            literal_column("search_key").like(pattern, escape=LIKE_ESCAPE),
        )
    )
    return OnSqlite(users.c.id.in_(matching), like)

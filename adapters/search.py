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
- What reaches the index is bounded, whatever the term (a 65,000-character term of one
  repeated letter took 3 s and 190 MB per request as a phrase of 65,000 tokens): a term of
  up to PHRASE_CHARS_MAX characters goes as its phrase; a longer one as at most TRIGRAMS_MAX
  of its distinct trigrams, ANDed. Either way the index only narrows the candidates, and the
  LIKE on each candidate's key decides (the term's length is bounded too:
  domain.queries.SEARCH_TERM_MAX).

Every other database, and short terms everywhere, use the LIKE condition. Either way, a term
most users match is better served without the index (search_condition).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, select, table

from adapters.tables import SEARCH_INDEX, user_search_keys, users

#: The fewest characters of a term the trigram index can find.
TRIGRAM: Final = 3
#: The longest term sent to the index as one phrase (PHRASE_CHARS_MAX - 2 trigrams) ...
PHRASE_CHARS_MAX: Final = 32
#: ... and how many of a longer term's distinct trigrams are sent instead.
TRIGRAMS_MAX: Final = 8

_index = table(SEARCH_INDEX)
_LIKE_ESCAPE: Final = "\\"


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


def escape_like(term: str) -> str:
    return (
        term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )


def _pattern(term: str) -> str:
    return f"%{escape_like(term)}%"


def _like(search_key: ColumnElement[str], term: str) -> ColumnElement[bool]:
    return search_key.like(_pattern(term), escape=_LIKE_ESCAPE)


def matching_ids(term: str, dialect: str) -> Select[Any]:
    """The ids of the users whose search key holds `term` (folded), from the search keys or
    SQLite's FTS5 index alone: what a count of a search needs, without `users`.

    Keys and term are both folded, so SQLite's ASCII-only case-insensitive LIKE and
    PostgreSQL's case-sensitive LIKE agree. psycopg2 binds values client-side, so PostgreSQL
    plans with the pattern as a constant: its statistics on the keys tell a common term,
    for which it walks the sort's index and checks each user's key, from a rare one, for
    which it reads the trigram index.
    """
    if dialect == "sqlite" and len(term) >= TRIGRAM:
        return (
            select(literal_column("rowid"))
            .select_from(_index)
            .where(
                literal_column(SEARCH_INDEX).op("MATCH")(trigram_phrase(term)),
                # The index narrows; each candidate's own key decides (see trigram_phrase).
                literal_column("search_key").like(_pattern(term), escape=_LIKE_ESCAPE),
            )
        )
    return select(user_search_keys.c.user_id).where(_like(user_search_keys.c.search_key, term))


def search_condition(term: str, dialect: str, *, common: bool) -> ColumnElement[bool]:
    """Users with `term` in their search key, as a condition on `users`.

    `common` (see SAMPLE): the term matches so many users that a page is found soonest by
    walking the sort's index and checking each user's key on the way (SQLite's planner
    cannot tell from an FTS5 index how many rows a term matches: it would read every match
    and sort them). Otherwise the matches come from the index and are then sorted.
    """
    if common and dialect == "sqlite":
        own_key = (
            select(user_search_keys.c.search_key)
            .where(user_search_keys.c.user_id == users.c.id)
            .scalar_subquery()
        )
        return _like(own_key, term)
    return users.c.id.in_(matching_ids(term, dialect))


#: How SQLite tells a common term from a rare one: the first SAMPLE search keys are read
#: and the term is common when at least COMMON_SHARE of them hold it. A walk then reads
#: about a page over COMMON_SHARE users; PostgreSQL needs no sample (see matching_ids).
SAMPLE: Final = 1000
COMMON_SHARE: Final = 0.01


def sample_needed(dialect: str) -> bool:
    return dialect == "sqlite"


_FIRST_KEYS = select(user_search_keys.c.search_key).limit(SAMPLE).subquery()
#: How many of the first SAMPLE search keys match the LIKE pattern `pattern`: built once,
#: as building it costs more than running it.
_SAMPLE: Final = (
    select(func.count())
    .select_from(_FIRST_KEYS)
    .where(_FIRST_KEYS.c.search_key.like(bindparam("pattern"), escape=_LIKE_ESCAPE))
)


def sample_statement(term: str) -> tuple[Select[Any], dict[str, str]]:
    """How many of the first SAMPLE search keys hold `term`: one small read."""
    return _SAMPLE, {"pattern": _pattern(term)}


def is_common(matches_in_sample: int) -> bool:
    return matches_in_sample >= SAMPLE * COMMON_SHARE

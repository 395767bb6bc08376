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

MariaDB/MySQL have no trigram index either (and MariaDB no n-gram FULLTEXT parser). Migration
0003 gives `user_search_keys` a stored generated column, `search_grams`, holding every 3-byte
window of the key's UTF-8 bytes as a word of 6 hex digits, under an InnoDB FULLTEXT index
(stopwords off). A term's windows, each required (`+w` in BOOLEAN MODE), select the users
holding all of them; the LIKE then keeps those holding the term itself (the windows may lie
apart). Bytes rather than characters: a term's bytes are a substring of the key's exactly
when the term is, and the column is computed by the database in C (regexp_replace over
hex()), not in a stored procedure's loop. Terms shorter than 3 bytes keep the LIKE scan.
Measured at 1,000,000 users: a scan 0.75-1.25 s, the index under 0.1 s (docs/performance.md).

Every other database, and short terms everywhere, use the LIKE condition. Either way, a term
most users match is better served without the index (search_condition).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    LargeBinary,
    Select,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)

from adapters.mariadb import is_mysql_name
from adapters.tables import SEARCH_GRAMS, SEARCH_INDEX, user_search_keys, users

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


_grams = column(SEARCH_GRAMS, Text)


def _windows(term: str) -> list[bytes]:
    """`term`'s distinct 3-byte windows, in order."""
    data = term.encode()
    return list(dict.fromkeys(data[i : i + TRIGRAM] for i in range(len(data) - TRIGRAM + 1)))


def required_words(windows: Sequence[bytes]) -> str:
    """`windows` as the words search_grams holds, each required (BOOLEAN MODE): 6 hex digits,
    in lower case as the column holds them: InnoDB keeps a binary column's words as they are
    when a row is written, but folds them when it builds the index over rows already there,
    so the column holds only lower case (migration 0003)."""
    return " ".join(f"+{window.hex()}" for window in windows)


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


def matching_ids(
    term: str, dialect: str, *, common: bool = False, words: str | None = None
) -> Select[Any]:
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
    if is_mysql_name(dialect) and not common and len(term.encode()) >= TRIGRAM:
        # `words` (Sampled.words): the rarest few windows; all of them without a sample.
        return select(user_search_keys.c.user_id).where(
            _grams.match(words or required_words(_windows(term))),  # MATCH ... AGAINST
            _like(user_search_keys.c.search_key, term),
        )
    return select(user_search_keys.c.user_id).where(_like(user_search_keys.c.search_key, term))


def search_condition(
    term: str, dialect: str, *, common: bool, words: str | None = None
) -> ColumnElement[bool]:
    """Users with `term` in their search key, as a condition on `users`.

    `common` (see SAMPLE): the term matches so many users that a page is found soonest by
    walking the sort's index and checking each user's key on the way (SQLite's planner
    cannot tell from an FTS5 index how many rows a term matches: it would read every match
    and sort them). Otherwise the matches come from the index and are then sorted.
    """
    if common and sample_needed(dialect):
        own_key = (
            select(user_search_keys.c.search_key)
            .where(user_search_keys.c.user_id == users.c.id)
            .scalar_subquery()
        )
        return _like(own_key, term)
    return users.c.id.in_(matching_ids(term, dialect, words=words))


#: How SQLite and MariaDB/MySQL (whose FULLTEXT indexes tell their planners nothing either)
#: tell a common term from a rare one: the first SAMPLE search keys are read and the term is
#: common when at least COMMON_SHARE of them hold it. A walk then reads about a page over
#: COMMON_SHARE users; PostgreSQL needs no sample (see matching_ids).
SAMPLE: Final = 1000
COMMON_SHARE: Final = 0.01


def sample_needed(dialect: str) -> bool:
    return dialect == "sqlite" or is_mysql_name(dialect)


_FIRST_KEYS = select(user_search_keys.c.search_key).limit(SAMPLE).subquery()
#: How many of the first SAMPLE search keys match the LIKE pattern `pattern`: built once,
#: as building it costs more than running it.
_SAMPLE: Final = (
    select(func.count())
    .select_from(_FIRST_KEYS)
    .where(_FIRST_KEYS.c.search_key.like(bindparam("pattern"), escape=_LIKE_ESCAPE))
)


class Sampled(NamedTuple):
    """What the sample tells: whether the term is common, and on MariaDB/MySQL the FULLTEXT
    words to ask for (its rarest windows)."""

    common: bool
    words: str | None = None


NOT_SAMPLED: Final = Sampled(common=False)
#: MariaDB/MySQL: the windows of a term counted in the sample, and how many of the rarest are
#: asked of the FULLTEXT index. InnoDB reads every posting of every word asked for: a common
#: trigram ("der" in "taxiderm") holds tens of thousands, and took 176 ms of the rare
#: search against 1 ms for its three rarest windows alone. The LIKE beside the MATCH keeps
#: the answer exact whichever windows are asked.
WINDOWS_PROBED: Final = 12
WINDOWS_ASKED: Final = 3
#: The most sample keys an asked window may be in: InnoDB cannot stop a FULLTEXT read once
#: started (neither max_statement_time nor KILL ends "Fulltext initialization"; a term of
#: common windows held the server for minutes at a million users), so a term without rare
#: windows is found by the LIKE scan, which the statement bound can end.
WINDOW_RARE: Final = 10


@functools.cache
def _window_sample(windows: int) -> Select[Any]:
    """The sample's count of keys holding the term, then of keys holding each of `windows`
    windows (bound as w0, w1, ...): one small read, built once per number of windows."""
    key = _FIRST_KEYS.c.search_key
    holding = [
        func.sum(func.locate(bindparam(f"w{i}", type_=LargeBinary), key) > 0, type_=Integer)
        for i in range(windows)
    ]
    columns: list[ColumnElement[Any]] = [
        func.sum(key.like(bindparam("pattern"), escape=_LIKE_ESCAPE), type_=Integer),
        *holding,
    ]
    return select(*columns).select_from(_FIRST_KEYS)


def _probed(term: str) -> list[bytes]:
    windows = _windows(term)
    if len(windows) <= WINDOWS_PROBED:
        return windows
    step = len(windows) / WINDOWS_PROBED  # spread over the term
    return [windows[int(i * step)] for i in range(WINDOWS_PROBED)]


def sample_statement(term: str, dialect: str) -> tuple[Select[Any], dict[str, Any]]:
    """How many of the first SAMPLE search keys hold `term` (on MariaDB/MySQL also each of
    its windows): one small read."""
    if not is_mysql_name(dialect):
        return _SAMPLE, {"pattern": _pattern(term)}
    probed = _probed(term)
    parameters: dict[str, Any] = {f"w{i}": window for i, window in enumerate(probed)}
    return _window_sample(len(probed)), {"pattern": _pattern(term), **parameters}


def read_sample(term: str, dialect: str, row: Sequence[Any]) -> Sampled:
    common = is_common(int(row[0] or 0))
    if not is_mysql_name(dialect) or common or len(row) == 1:
        return Sampled(common=common)
    counts = [int(count or 0) for count in row[1:]]
    rarest = sorted(range(len(counts)), key=counts.__getitem__)[:WINDOWS_ASKED]
    asked = sorted(i for i in rarest if counts[i] <= WINDOW_RARE)
    if not asked:
        return Sampled(common=True)  # no rare window: the LIKE, not the FULLTEXT index
    probed = _probed(term)
    return Sampled(common=False, words=required_words([probed[i] for i in asked]))


class SampleCache:
    """The sample's answer per term, kept for SAMPLE_KEPT_S by every unit of work of one
    engine. What it buys: reading the sample was two thirds of a rare search's database time
    on MariaDB (docs/performance.md). Safe to keep: the first SAMPLE keys change slowly, and
    a stale answer can only choose the slower plan, never a wrong result (the LIKE on each
    user's own key decides every match)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, Sampled]] = {}

    def get(self, term: str) -> Sampled | None:
        with self._lock:
            kept = self._answers.get(term)
        if kept is None or self._clock() - kept[0] > SAMPLE_KEPT_S:
            return None
        return kept[1]

    def put(self, term: str, sampled: Sampled) -> None:
        with self._lock:
            if len(self._answers) >= SAMPLES_KEPT:
                self._answers.clear()  # bounded memory; the next reads refill it
            self._answers[term] = (self._clock(), sampled)


#: How long, and for how many terms, a SampleCache keeps answers.
SAMPLE_KEPT_S: Final = 60.0
SAMPLES_KEPT: Final = 1000


def is_common(matches_in_sample: int) -> bool:
    return matches_in_sample >= SAMPLE * COMMON_SHARE

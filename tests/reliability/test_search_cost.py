"""filter[search] costs a bounded amount whatever the term (issue 12 item 2): its length is
bounded, what reaches SQLite's trigram index is bounded, and long terms still find exactly
the users holding them, on every database."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from adapters.search import PHRASE_CHARS_MAX, TRIGRAMS_MAX, trigram_phrase
from domain.queries import SEARCH_TERM_MAX
from tests.http.documents import JSONAPI, check_errors, new_user

_PHRASE = re.compile(r'"((?:[^"]|"")*)"')


@settings(max_examples=300)
@given(st.text(min_size=3, max_size=SEARCH_TERM_MAX))
def test_the_index_query_of_any_term_is_small_and_every_part_occurs_in_the_term(
    term: str,
) -> None:
    query = trigram_phrase(term)
    phrases = [match.replace('""', '"') for match in _PHRASE.findall(query)]
    assert phrases
    assert query == " AND ".join('"' + p.replace('"', '""') + '"' for p in phrases)
    assert all(phrase in term for phrase in phrases)  # no row holding the term is missed
    assert len(phrases) <= TRIGRAMS_MAX
    assert sum(len(phrase) for phrase in phrases) <= max(PHRASE_CHARS_MAX, 3 * TRIGRAMS_MAX)


def _search(client: TestClient, term: str) -> list[str]:
    response = client.get("/api/v1/users", params={"filter[search]": term, "page[size]": 100})
    assert response.status_code == 200, response.text
    return sorted(user["attributes"]["name"] for user in response.json()["data"])


def test_a_term_longer_than_any_attribute_is_a_400_naming_the_parameter(
    any_client: TestClient,
) -> None:
    for term in ("a" * (SEARCH_TERM_MAX + 1), "ab" * 3000):
        response = any_client.get("/api/v1/users", params={"filter[search]": term})
        [error] = check_errors(response, 400)
        assert error["source"] == {"parameter": "filter[search]"}
        assert str(SEARCH_TERM_MAX) in error["detail"]


def test_long_terms_find_exactly_the_users_holding_them(any_client: TestClient) -> None:
    sentence = "the quick brown fox jumps over the lazy dog near the riverbank"
    users = {
        "Longest": {"address": "a" * SEARCH_TERM_MAX},
        "Almost": {"address": "a" * (SEARCH_TERM_MAX - 1) + "b"},
        "Fox": {"address": f"1 {sentence}, Leeds"},
        "Fox twin": {"address": f"2 {sentence.replace('lazy', 'hazy')}, Leeds"},
        "Shuffled": {"address": " ".join(reversed(sentence.split()))},
        "Quoted": {"profession": 'said "' + "x" * 40 + '" twice'},
    }
    for name, changes in users.items():
        created = any_client.post(
            "/api/v1/users", json=new_user(name=name, **changes), headers={"Content-Type": JSONAPI}
        )
        assert created.status_code == 201, created.text
    assert _search(any_client, "a" * SEARCH_TERM_MAX) == ["Longest"]
    assert _search(any_client, "a" * (SEARCH_TERM_MAX - 1)) == ["Almost", "Longest"]
    assert _search(any_client, "a" * 1500 + "b") == ["Almost"]
    assert _search(any_client, sentence) == ["Fox"]
    assert _search(any_client, sentence.upper()) == ["Fox"]
    assert _search(any_client, sentence[:34]) == ["Fox", "Fox twin"]  # before "lazy"
    # The same trigrams in another order are not the term.
    assert _search(any_client, " ".join(reversed(sentence.split()))[:45]) == ["Shuffled"]
    assert _search(any_client, sentence + ", Leeds!") == []
    assert _search(any_client, '"' + "x" * 40 + '"') == ["Quoted"]
    assert _search(any_client, '"' + "x" * 41) == []

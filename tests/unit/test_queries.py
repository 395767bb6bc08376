"""Building list queries from client values: what is folded, and what each refusal names."""

from __future__ import annotations

import pytest

from domain.errors import InvalidQueryError
from domain.queries import SortKey, SortOrder, UserFilter


def test_a_filter_folds_its_strings_and_keeps_its_numbers() -> None:
    built = UserFilter.build(
        exact={"profession": "POET", "name": "Straße"},
        age=3,
        age_min=1,
        age_max=9,
        search="ÉA\r\nB",
    )
    assert built == UserFilter(
        exact=(("name", "strasse"), ("profession", "poet")),
        age=3,
        age_min=1,
        age_max=9,
        search="éa\nb",
    )
    assert UserFilter.build().is_empty and not built.is_empty


@pytest.mark.parametrize(
    ("build", "parameter", "detail"),
    [
        (lambda: UserFilter.build(exact={"age": "3"}), "filter[age]", "cannot filter on 'age'"),
        (
            lambda: UserFilter.build(exact={"name": "a\x00"}),
            "filter[name]",
            "filter[name] must not contain control characters",
        ),
        (
            lambda: UserFilter.build(search="a\tb"),
            "filter[search]",
            "filter[search] must not contain control characters",
        ),
        (
            lambda: UserFilter.build(search="a\ud800"),
            "filter[search]",
            "filter[search] must not contain control characters",
        ),
        (lambda: SortOrder.parse("name,-nope"), "sort", "cannot sort by 'nope'"),
        (lambda: SortOrder.parse(""), "sort", "cannot sort by ''"),
        (lambda: SortKey("secret"), "sort", "cannot sort by 'secret'"),
    ],
)
def test_a_refused_query_names_its_parameter(build, parameter: str, detail: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidQueryError) as raised:
        build()
    assert (raised.value.parameter, raised.value.detail) == (parameter, detail)


@pytest.mark.parametrize(
    ("sort", "signature"),
    [
        ("name", "name,id"),
        ("-name", "-name,-id"),
        ("name,-age", "name,-age,-id"),
        ("age,age,-name", "age,-name,-id"),  # a repeat is dropped
        ("-id,name", "-id"),  # nothing after the unique id matters
        ("profession,id", "profession,id"),
    ],
)
def test_an_order_ends_with_the_id_in_the_direction_of_its_last_key(
    sort: str, signature: str
) -> None:
    assert SortOrder.parse(sort).signature == signature
    assert SortOrder().signature == "id"

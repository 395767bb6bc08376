# ruff: noqa: RUF001 - the unicode here is the point of the tests
"""The repository contract: every adapter behaves the same (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from domain.errors import DuplicateNameError, StaleVersionError, UserNotFoundError
from domain.model import User
from domain.ports import UnitOfWork
from domain.queries import CursorPage, NumberPage, SortOrder, UserFilter, UserQuery
from domain.use_cases import list_users
from domain.validation import validate_new_user
from tests.support import reference
from tests.support.bounded import follow
from tests.support.users import DEFAULTS, user_attributes

Factory = Callable[[], UnitOfWork]


def add(uow_factory: Factory, name: str, **attributes: Any) -> User:
    with uow_factory() as uow:
        user = uow.users.add(validate_new_user(user_attributes(name=name, **attributes)))
        uow.commit()
    return user


def get(uow_factory: Factory, user_id: int) -> User:
    with uow_factory() as uow:
        return uow.users.get(user_id)


def find(uow_factory: Factory, order: str = "id", **options: Any) -> list[str]:
    selection = options.pop("selection", UserFilter())
    options.setdefault("limit", 100)
    with uow_factory() as uow:
        return [u.name for u in uow.users.find(selection, SortOrder.parse(order), **options)]


def count(uow_factory: Factory, selection: UserFilter | None = None) -> int:
    with uow_factory() as uow:
        return uow.users.count(selection or UserFilter())


# --- add, get, change, remove -------------------------------------------------------------


def test_an_added_user_is_at_version_1_and_reads_back_unchanged(uow_factory: Factory) -> None:
    user = add(uow_factory, "Ada Lovelace", age=36)
    assert user.version == 1
    assert get(uow_factory, user.id) == user


def test_getting_an_unknown_id_raises_not_found(uow_factory: Factory) -> None:
    with pytest.raises(UserNotFoundError):
        get(uow_factory, 12345)


def test_ids_grow_and_are_never_reused_after_a_removal(uow_factory: Factory) -> None:
    first = add(uow_factory, "first")
    second = add(uow_factory, "second")
    with uow_factory() as uow:
        uow.users.remove(second.id, None)
        uow.commit()
    third = add(uow_factory, "third")
    assert first.id < second.id < third.id


@pytest.mark.parametrize(
    ("stored", "other"), [("Zoë", "ZOË"), ("Straße", "STRASSE"), ("Σίσυφος", "σίσυφοσ")]
)
def test_duplicate_name_differing_only_in_case_is_rejected(
    uow_factory: Factory, stored: str, other: str
) -> None:
    add(uow_factory, stored)
    with pytest.raises(DuplicateNameError):
        add(uow_factory, other)
    assert count(uow_factory) == 1


def test_changing_to_a_name_another_user_holds_is_rejected(uow_factory: Factory) -> None:
    add(uow_factory, "Ada")
    bob = add(uow_factory, "Bob")
    with pytest.raises(DuplicateNameError), uow_factory() as uow:
        uow.users.change(bob.id, {"name": "ADA"}, None)
        uow.commit()
    assert get(uow_factory, bob.id) == bob


def test_a_user_may_change_the_case_of_its_own_name(uow_factory: Factory) -> None:
    ada = add(uow_factory, "ada")
    with uow_factory() as uow:
        _, changed = uow.users.change(ada.id, {"name": "ADA"}, ada.version)
        uow.commit()
    assert changed.name == "ADA"
    assert get(uow_factory, ada.id) == changed


def test_a_change_adds_one_to_the_version_and_keeps_other_attributes(uow_factory: Factory) -> None:
    user = add(uow_factory, "Ada", age=36, profession="Poet")
    with uow_factory() as uow:
        _, changed = uow.users.change(user.id, {"age": 37, "website": "https://ada.example"}, None)
        uow.commit()
    assert changed == User(
        id=user.id,
        name="Ada",
        address=user.address,
        age=37,
        profession="Poet",
        website="https://ada.example",
        version=2,
    )
    assert get(uow_factory, user.id) == changed


def test_a_change_at_the_expected_version_succeeds_and_a_stale_one_fails(
    uow_factory: Factory,
) -> None:
    user = add(uow_factory, "Ada")
    with uow_factory() as uow:
        uow.users.change(user.id, {"age": 40}, 1)
        uow.commit()
    with pytest.raises(StaleVersionError), uow_factory() as uow:
        uow.users.change(user.id, {"age": 41}, 1)
    assert get(uow_factory, user.id).age == 40


@pytest.mark.parametrize("expected_version", [None, 1])
def test_changing_or_removing_an_unknown_user_raises_not_found(
    uow_factory: Factory, expected_version: int | None
) -> None:
    with pytest.raises(UserNotFoundError), uow_factory() as uow:
        uow.users.change(999, {"age": 1}, expected_version)
    with pytest.raises(UserNotFoundError), uow_factory() as uow:
        uow.users.remove(999, expected_version)


def test_a_stale_removal_fails_and_keeps_the_user(uow_factory: Factory) -> None:
    user = add(uow_factory, "Ada")
    with pytest.raises(StaleVersionError), uow_factory() as uow:
        uow.users.remove(user.id, 2)
    assert get(uow_factory, user.id) == user
    with uow_factory() as uow:
        uow.users.remove(user.id, 1)
        uow.commit()
    with pytest.raises(UserNotFoundError):
        get(uow_factory, user.id)
    assert count(uow_factory) == 0


# --- transactions ---------------------------------------------------------------------------


def test_work_not_committed_is_rolled_back(uow_factory: Factory) -> None:
    kept = add(uow_factory, "kept")
    with uow_factory() as uow:
        uow.users.add(validate_new_user({**kept.attributes(), "name": "dropped"}))
        uow.users.change(kept.id, {"age": 99}, None)
        uow.users.remove(kept.id, None)
    assert get(uow_factory, kept.id) == kept
    assert find(uow_factory) == ["kept"]
    assert count(uow_factory) == 1


def test_rollback_undoes_the_work_so_far(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.users.add(validate_new_user(_attributes("undone")))
        uow.rollback()
        uow.users.add(validate_new_user(_attributes("kept")))
        uow.commit()
    assert find(uow_factory) == ["kept"]
    assert count(uow_factory) == 1


def test_a_failure_midway_leaves_nothing_of_the_unit_of_work(uow_factory: Factory) -> None:
    add(uow_factory, "taken")
    with pytest.raises(DuplicateNameError), uow_factory() as uow:
        uow.users.add(validate_new_user(_attributes("new")))
        uow.users.add(validate_new_user(_attributes("TAKEN")))
        uow.commit()
    assert find(uow_factory) == ["taken"]
    assert count(uow_factory) == 1


@pytest.mark.parametrize(
    "selection",
    [
        UserFilter(),
        UserFilter.build(age=20),
        UserFilter.build(search="o"),
        UserFilter.build(age=99),
    ],
    ids=["all", "age", "search", "none"],
)
def test_find_counted_is_find_with_the_count_of_the_filter(
    people: Factory, selection: UserFilter
) -> None:
    order = SortOrder.parse("-age,name")
    for options in [{}, {"offset": 1}, {"limit": 1}, {"offset": 99}]:
        expected = find(people, "-age,name", selection=selection, **options)
        with people() as uow:
            users, total = uow.users.find_counted(
                selection,
                order,
                **{"limit": 100, **options},  # type: ignore[arg-type]
            )
        assert [u.name for u in users] == expected
        assert total == count(people, selection)


def _attributes(name: str) -> dict[str, object]:
    return user_attributes(name=name, address="a", age=1, profession="p", website="http://w.x")


# --- unicode ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀",  # 4-byte characters
        "\u200fשלום\u200e עולם",  # RTL/LTR marks
        "e\u0301 vs \u00e9",  # combining accent beside the precomposed letter
        "İstanbul ǅ ﬃ",  # casefold expands these
    ],
)
def test_unicode_is_stored_exactly_as_given(uow_factory: Factory, name: str) -> None:
    # Names are stored in NFC and refuse invisible and text-direction characters (the names
    # rule: tests/unit/test_name_rules.py); the other attributes keep any text byte for byte.
    user = add(uow_factory, "Unicode", address=name * 3, profession=name)
    stored = get(uow_factory, user.id)
    assert stored.profession.encode() == name.encode()
    assert stored.address.encode() == (name * 3).encode()


def test_a_4_byte_character_in_every_text_field_round_trips_and_is_found(
    uow_factory: Factory,
) -> None:
    text = {"name": "Zoë 😀", "address": "1 😀 Row", "profession": "😀 Maker"}
    user = add(uow_factory, **text, age=30, website="https://😀.example")
    assert get(uow_factory, user.id).attributes() == {
        **text,
        "age": 30,
        "website": "https://😀.example",
    }
    with uow_factory() as uow:
        _, changed = uow.users.change(user.id, {"profession": "Tamer 🦁"}, None)
        uow.commit()
    assert get(uow_factory, user.id).profession == changed.profession == "Tamer 🦁"
    exact = (("name", "ZOË 😀"), ("address", "1 😀 row"), ("website", "HTTPS://😀.EXAMPLE"))
    for field, value in exact:
        assert find(uow_factory, selection=UserFilter.build(exact={field: value})) == ["Zoë 😀"]
    assert find(uow_factory, selection=UserFilter.build(search="🦁")) == ["Zoë 😀"]


def test_a_name_whose_key_folds_to_three_times_its_length_is_stored_and_unique(
    uow_factory: Factory,
) -> None:
    name = "\u0390" * 250  # casefold: 3 characters (6 UTF-8 bytes) for each
    assert len(name.casefold().encode()) == 1500
    neighbour = "\u0390" * 249 + "x"  # the same key but for its last 6 bytes
    add(uow_factory, name)
    add(uow_factory, neighbour)
    assert [get(uow_factory, 1).name, get(uow_factory, 2).name] == [name, neighbour]
    with pytest.raises(DuplicateNameError):
        add(uow_factory, name)


def test_a_2000_character_address_of_4_byte_characters_is_stored_and_sorted(
    uow_factory: Factory,
) -> None:
    long_address = "𐐀" * 2000  # 8000 bytes in UTF-8, more than a btree entry may hold
    add(uow_factory, "long", address=long_address)
    add(uow_factory, "longer", address="𐐀" * 1999 + "𐐁")
    add(uow_factory, "short", address="𐐀")
    assert get(uow_factory, 1).address == long_address
    assert find(uow_factory, "address") == ["short", "long", "longer"]
    assert find(uow_factory, "-address") == ["longer", "long", "short"]
    selection = UserFilter.build(exact={"address": long_address.upper()})
    assert find(uow_factory, selection=selection) == ["long"]


def test_addresses_sharing_a_long_prefix_sort_by_the_whole_address(uow_factory: Factory) -> None:
    prefix = "x" * 300
    for name, tail in [("c", "c"), ("a", "a"), ("b", "B"), ("d", "")]:
        add(uow_factory, name, address=prefix + tail)
    assert find(uow_factory, "address") == ["d", "a", "b", "c"]
    assert find(uow_factory, "-address,name") == ["c", "b", "a", "d"]
    boundary = (prefix + "a", 2)  # user "a"'s place in address,id
    assert find(uow_factory, "address", boundary=boundary) == ["b", "c"]
    assert find(uow_factory, "address", boundary=boundary, backward=True) == ["d"]


# --- filters and search -----------------------------------------------------------------------


PEOPLE = [
    dict(zip(("id", "name", "address", "age", "profession", "website"), row, strict=True))
    for row in [
        (1, "Ada", "Straße 1", 36, "Poet", "https://ada.example/~a"),
        (2, "bob", "STRASSE 2", 20, "poet", "https://bob.example/100%"),
        (3, "Émile", "Ωmega road", 70, "Engineer", "https://emile.example/a_b"),
        (4, "zoë", "10 Back\\Lane", 20, "ENGINEER", "http://zoe.example"),
        (5, "Ösel", "Öland", 150, "Σοφός", "https://osel.example"),
    ]
]


@pytest.fixture
def people(uow_factory: Factory) -> Factory:
    """Five users with casefold traps: ß/SS, Σ/ς, Ö, a trailing character beyond z."""
    for row in PEOPLE:
        add(uow_factory, **{k: v for k, v in row.items() if k != "id"})
    return uow_factory


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        ("name", "ADA", ["Ada"]),
        ("name", "émile", ["Émile"]),
        ("name", "ad", []),
        ("address", "strasse 1", ["Ada"]),
        ("address", "straße 2", ["bob"]),
        ("profession", "POET", ["Ada", "bob"]),
        ("profession", "σοφόσ", ["Ösel"]),
        ("website", "HTTP://ZOE.EXAMPLE", ["zoë"]),
    ],
)
def test_an_exact_filter_matches_the_whole_value_ignoring_case(
    people: Factory, attribute: str, value: str, expected: list[str]
) -> None:
    selection = UserFilter.build(exact={attribute: value})
    assert find(people, selection=selection) == expected
    assert count(people, selection) == len(expected)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"age": 20}, ["bob", "zoë"]),
        ({"age_min": 36}, ["Ada", "Émile", "Ösel"]),
        ({"age_max": 36}, ["Ada", "bob", "zoë"]),
        ({"age_min": 21, "age_max": 70}, ["Ada", "Émile"]),
        ({"age_min": 150, "age_max": 150}, ["Ösel"]),
        ({"age_min": 71, "age_max": 149}, []),
        ({"age_min": 20, "exact": {"profession": "engineer"}}, ["Émile", "zoë"]),
    ],
)
def test_age_filters_are_inclusive_and_combine_with_others(
    people: Factory, options: dict[str, Any], expected: list[str]
) -> None:
    selection = UserFilter.build(**options)
    assert find(people, selection=selection) == expected
    assert count(people, selection) == len(expected)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ADA", ["Ada"]),  # name, and ada.example in the website
        ("strasse", ["Ada", "bob"]),  # ß folds to ss
        ("ωMEGA", ["Émile"]),
        ("ENGINE", ["Émile", "zoë"]),
        ("example", ["Ada", "bob", "Émile", "zoë", "Ösel"]),
        ("%", ["bob"]),  # wildcards are plain characters
        ("_", ["Émile"]),
        ("a_b", ["Émile"]),
        ("0%", ["bob"]),
        ("\\", ["zoë"]),
        ("k\\l", ["zoë"]),
        ("~", ["Ada"]),
        ("nothing like it", []),
        ("1\u001f", None),  # not a valid term (control character)
    ],
)
def test_search_finds_a_substring_of_any_field_ignoring_case(
    people: Factory, term: str, expected: list[str] | None
) -> None:
    if expected is None:
        with pytest.raises(Exception, match="control characters"):
            UserFilter.build(search=term)
        return
    selection = UserFilter.build(search=term)
    assert find(people, selection=selection) == expected
    assert count(people, selection) == len(expected)


def test_search_does_not_match_across_two_fields(uow_factory: Factory) -> None:
    add(uow_factory, "Ada", address="Road", profession="Poet")
    assert find(uow_factory, selection=UserFilter.build(search="adaroad")) == []
    assert find(uow_factory, selection=UserFilter.build(search="da")) == ["Ada"]


@pytest.fixture
def searchable(uow_factory: Factory) -> Factory:
    """Users for terms of every length (SQLite answers 3+ characters from a trigram index,
    shorter ones by a scan), with quotes, wildcards, 4-byte and folding characters."""
    for name, address, profession, website in [
        ("Ada", 'Quote "Road" 7', "Poet", "https://a.example/50%_off"),
        ("Bob", "Großstraße 12", "Back\\slash", "https://b.example/it's"),
        ("Cy 😀𐐀", "Ωmega", "Σίσυφος", "https://c.example"),
        ("Dee", "Elm AND Oak*", "NEAR(x y)", "https://d.example/*q:"),
    ]:
        add(uow_factory, name, address=address, profession=profession, website=website)
    return uow_factory


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("a", ["Ada", "Bob", "Cy 😀𐐀", "Dee"]),  # 1 character
        ("Q", ["Ada", "Dee"]),
        ("😀", ["Cy 😀𐐀"]),  # a 4-byte character alone
        ('"', ["Ada"]),
        ("ß", ["Bob"]),  # folds to "ss": 2 characters
        ("7P", []),  # 2 characters, address then profession: never across fields
        ("'s", ["Bob"]),
        ("ßs", ["Bob"]),  # folds to "sss": 3 characters, as in "grossstrasse"
        ("SSS", ["Bob"]),
        ("ada", ["Ada"]),  # 3 characters
        (' "r', ["Ada"]),
        ("%_o", ["Ada"]),
        ("k\\s", ["Bob"]),
        ("t's", ["Bob"]),
        ("😀𐐀", ["Cy 😀𐐀"]),  # 2 characters, the second folded to 𐐨
        (" 😀𐐨", ["Cy 😀𐐀"]),
        ("ΦΟΣ", ["Cy 😀𐐀"]),  # the final sigma folds as the other one
        ("/*q:", ["Dee"]),
        ('"road"', ["Ada"]),  # longer terms
        ('quote "road" 7', ["Ada"]),
        ("50%_off", ["Ada"]),
        ("50%", ["Ada"]),
        ("5_%", []),
        ("GROSSSTRASSE 12", ["Bob"]),
        ("großstraße 12!", []),  # longer than the field
        ("back\\slash", ["Bob"]),
        ("back\\\\slash", []),
        ("and oak*", ["Dee"]),  # FTS5 query syntax is plain text in a term
        ("near(x y)", ["Dee"]),
        ("elm or oak", []),
        ('road" 7poet', []),  # never across fields
        ("example/it's", ["Bob"]),
        ("https://", ["Ada", "Bob", "Cy 😀𐐀", "Dee"]),
    ],
)
def test_search_terms_of_every_length_and_character(
    searchable: Factory, term: str, expected: list[str]
) -> None:
    selection = UserFilter.build(search=term)
    assert find(searchable, selection=selection) == expected
    assert count(searchable, selection) == len(expected)
    # The same through a sort with a boundary and an offset page.
    assert find(searchable, "-name", selection=selection) == expected[::-1]
    assert find(searchable, selection=selection, offset=1) == expected[1:]


def test_search_follows_a_change_and_a_removal(uow_factory: Factory) -> None:
    ada = add(uow_factory, "Ada", profession="Taxidermist")
    add(uow_factory, "Bob", profession="Poet")

    def found(term: str) -> list[str]:
        selection = UserFilter.build(search=term)
        names = find(uow_factory, selection=selection)
        assert count(uow_factory, selection) == len(names)
        return names

    assert found("xider") == ["Ada"]
    with uow_factory() as uow:
        _, ada = uow.users.change(ada.id, {"profession": "Poet", "name": "Adeline"}, None)
        uow.commit()
    assert found("xider") == []
    assert found("xi") == []
    assert found("poet") == ["Adeline", "Bob"]
    assert found("adeline") == ["Adeline"]
    with uow_factory() as uow:
        _, ada = uow.users.change(ada.id, {"age": 40}, ada.version)  # search_key unchanged
        uow.commit()
    assert found("adeline") == ["Adeline"]
    with uow_factory() as uow:
        uow.users.remove(ada.id, None)
        uow.commit()
    assert found("adeline") == []
    assert found("poet") == ["Bob"]
    assert found("po") == ["Bob"]


# --- sorting and pages ----------------------------------------------------------------------


def _expected_order(rows: Sequence[Mapping[str, Any]], sort: str) -> list[str]:
    """The order by the test's own model (tests/support/reference.py), never the adapters'."""
    return [row["name"] for row in reference.ordered(rows, reference.parse_sort(sort))]


@pytest.mark.parametrize(
    "sort",
    [
        "id", "-id", "name", "-name", "address", "-address", "age", "-age",
        "profession", "-profession", "website", "-website", "age,name", "-age,-profession,name",
    ],
)  # fmt: skip
def test_every_sort_orders_by_folded_value_then_id(people: Factory, sort: str) -> None:
    assert find(people, sort) == _expected_order(PEOPLE, sort)


def test_strings_sort_by_code_point_of_the_folded_value(people: Factory) -> None:
    # casefold: Ada→ada, bob, Émile→émile, zoë, Ösel→ösel; é (E9) < ö (F6) by code point.
    assert find(people, "name") == ["Ada", "bob", "zoë", "Émile", "Ösel"]


def test_offset_pages_cover_every_user_once(people: Factory) -> None:
    pages = [find(people, "-age", limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert pages == [["Ösel", "Émile"], ["Ada", "zoë"], ["bob"], []]


@pytest.mark.parametrize("sort", ["name", "-age", "age,-name", "-profession,age", "-website,-id"])
def test_keyset_pages_walk_forward_and_back_in_mixed_directions(people: Factory, sort: str) -> None:
    add(people, "Zed", age=20, profession="poet")
    add(people, "ada2", age=36, profession="POET")
    order = SortOrder.parse(sort)
    more = [{**PEOPLE[0], "id": 6, "name": "Zed", "age": 20, "profession": "poet"}]
    more.append({**PEOPLE[0], "id": 7, "name": "ada2", "age": 36, "profession": "POET"})
    for row in more:
        row.update(address=DEFAULTS["address"], website=DEFAULTS["website"])
    expected = _expected_order(PEOPLE + more, sort)
    margin = len(expected) // 2 + 3  # pages of 2, plus a margin

    def after(page: Any) -> Any:
        if page.next_cursor is None:
            return None
        return list_users(
            people(), UserQuery(order=order, page=CursorPage(2, after=page.next_cursor))
        )

    def before(page: Any) -> Any:
        if page.prev_cursor is None:
            return None
        return list_users(
            people(), UserQuery(order=order, page=CursorPage(2, before=page.prev_cursor))
        )

    pages = follow(
        list_users(people(), UserQuery(order=order, page=CursorPage(2))), after, at_most=margin
    )
    assert [u.name for page in pages for u in page.users] == expected
    assert pages[0].prev_cursor is None and len(pages) == 4
    back = follow(pages[-1], before, at_most=margin)
    backward = [u.name for page in reversed(back) for u in page.users]
    assert backward == expected


def test_find_beyond_a_boundary_with_offset_and_limit(people: Factory) -> None:
    everyone = ["Ösel", "Émile", "Ada", "bob", "zoë"]
    boundary = (70, "émile", 3)  # Émile's place in -age,name,id
    assert find(people, "-age,name", boundary=boundary) == everyone[2:]
    assert find(people, "-age,name", boundary=boundary, offset=1, limit=1) == everyone[3:4]
    assert find(people, "-age,name", boundary=boundary, backward=True) == ["Ösel"]


def test_number_pages_report_the_total_of_the_filter(people: Factory) -> None:
    query = UserQuery(UserFilter.build(age=20), SortOrder.parse("name"), NumberPage(1, 1))
    page = list_users(people(), query)
    assert [u.name for u in page.users] == ["bob"]
    assert page.total == 2


def test_count_follows_adds_and_removes(uow_factory: Factory) -> None:
    assert count(uow_factory) == 0
    users = [add(uow_factory, f"user {i}") for i in range(20)]
    assert count(uow_factory) == 20
    with uow_factory() as uow:
        for user in users[:7]:
            uow.users.remove(user.id, None)
        uow.commit()
    assert count(uow_factory) == 13
    assert count(uow_factory, UserFilter.build(search="user 1")) == 10  # 1, 10-19; 1 removed


def test_a_multi_line_address_is_found_by_exact_filter_and_search(uow_factory: Factory) -> None:
    add(uow_factory, "Ada", address="1 Road\nTown")
    add(uow_factory, "Bob", address="1 Road Town")
    exact = UserFilter.build(exact={"address": "1 road\r\ntown"})
    assert find(uow_factory, selection=exact) == ["Ada"]
    assert find(uow_factory, selection=UserFilter.build(search="ROAD\nT")) == ["Ada"]

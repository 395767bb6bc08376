"""The validation rules stated as properties (hypothesis)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import UserValidationError
from domain.model import ATTRIBUTES, DEFAULT_IGNORABLE
from domain.validation import validate_changes, validate_new_user


def _is_text_char(c: str) -> bool:
    return unicodedata.category(c) not in ("Cc", "Cs")


text_chars = st.characters(exclude_categories=("Cc", "Cs"))


def clean_text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(text_chars, min_size=1, max_size=max_size).filter(
        lambda s: 1 <= len(s.strip()) <= max_size
    )


hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
paths = st.from_regex(r"(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,20}){0,3}", fullmatch=True)
websites = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    hosts,
    paths,
).filter(lambda url: len(url) <= 250)

addresses = (
    st.lists(clean_text(200), min_size=1, max_size=4)
    .map("\n".join)
    .filter(lambda s: len(s.strip()) <= 2000)
)

# Names: no invisible character and something visible (the names rule, test_name_rules.py),
# and at most 250 characters once in NFC, the form names are stored in.
names = clean_text(250).filter(
    lambda s: (
        DEFAULT_IGNORABLE.search(s) is None
        and any(unicodedata.category(c)[0] in "LNPS" for c in s)
        and len(unicodedata.normalize("NFC", s.strip())) <= 250
    )
)

valid_users = st.fixed_dictionaries(
    {
        "name": names,
        "address": addresses,
        "age": st.integers(0, 150),
        "profession": clean_text(250),
        "website": websites,
    }
)

# Invalid values per field, each generated to break a rule of that field only.
controls = st.characters(
    categories=("Cc",), exclude_characters="\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"
)
not_strings = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def text_with_control(max_size: int) -> st.SearchStrategy[str]:
    return st.builds(lambda a, c, b: a + c + b, clean_text(50), controls, clean_text(50))


def too_long(max_size: int) -> st.SearchStrategy[str]:
    return st.integers(max_size + 1, max_size + 50).map(lambda n: "x" * n)


blank = st.text(" \t\n\r\u3000\u2003", max_size=5)
invalid_values = {
    "name": st.one_of(not_strings, blank, too_long(250), text_with_control(250)),
    "address": st.one_of(
        not_strings,
        blank,
        too_long(2000),
        st.builds(lambda a, b: a + "\r" + b, clean_text(20), clean_text(20)).filter(
            lambda s: "\r\n" not in s
        ),
    ),
    "age": st.one_of(
        st.booleans(),
        st.floats(),
        st.text(max_size=5),
        st.none(),
        st.integers(max_value=-1),
        st.integers(min_value=151),
        st.integers(0, 150).map(str),
    ),
    "profession": st.one_of(not_strings, blank, too_long(250), text_with_control(250)),
    "website": st.one_of(
        not_strings,
        blank,
        st.sampled_from(
            [
                "javascript:alert(1)",
                "data:text/html,hi",
                "ftp://example.com",
                "//example.com",
                "/relative/path",
                "example.com",
                "http://",
                "https:///path",
                "http:example.com",
                "mailto:a@b.c",
                "http://exa mple.com",
                "http://example.com/<script>",
                "file:///etc/passwd",
                "vbscript:msgbox",
                "http://[::1",
            ]
        ),
        st.integers(240, 300)
        .map(lambda n: "https://e.com/" + "a" * n)
        .filter(lambda u: len(u) > 250),
    ),
}


@given(valid_users)
def test_every_valid_user_is_accepted(attributes: dict[str, object]) -> None:
    # Accepted as given, only trimmed (the generated addresses hold no \r\n to normalise),
    # the name in NFC: a compatibility ideograph such as U+F9A6 is stored as U+4E3D.
    expected = {k: v.strip() if isinstance(v, str) else v for k, v in attributes.items()}
    expected["name"] = unicodedata.normalize("NFC", str(expected["name"]))
    user = validate_new_user(attributes)
    assert {field: getattr(user, field) for field in ATTRIBUTES} == expected
    assert set(validate_changes(attributes).items()) == set(expected.items())


@given(valid_users)
def test_normalising_is_idempotent(attributes: dict[str, object]) -> None:
    once = validate_new_user(attributes)
    twice = validate_new_user({field: getattr(once, field) for field in ATTRIBUTES})
    assert once == twice


@given(valid_users, st.text(" \t\n", max_size=3), st.text(" \t\n", max_size=3))
def test_surrounding_whitespace_is_trimmed(
    attributes: dict[str, object], left: str, right: str
) -> None:
    padded = {k: (left + v + right if isinstance(v, str) else v) for k, v in attributes.items()}
    assert validate_new_user(padded) == validate_new_user(attributes)


@pytest.mark.parametrize("field", ATTRIBUTES)
@given(data=st.data())
def test_an_invalid_value_is_rejected_naming_that_field_only(
    field: str, data: st.DataObject
) -> None:
    attributes = data.draw(valid_users)
    attributes[field] = data.draw(invalid_values[field], label=field)
    with pytest.raises(UserValidationError) as raised:
        validate_new_user(attributes)
    assert [error.field for error in raised.value.errors] == [field]


@given(valid_users, st.sets(st.sampled_from(ATTRIBUTES), min_size=2), st.data())
def test_several_bad_fields_are_all_reported(
    attributes: dict[str, object], fields: set[str], data: st.DataObject
) -> None:
    for field in fields:
        attributes[field] = data.draw(invalid_values[field])
    with pytest.raises(UserValidationError) as raised:
        validate_new_user(attributes)
    assert sorted(error.field for error in raised.value.errors) == sorted(fields)


@given(valid_users, st.sets(st.sampled_from(ATTRIBUTES), min_size=1))
def test_missing_attributes_are_each_reported(
    attributes: dict[str, object], missing: set[str]
) -> None:
    for field in missing:
        del attributes[field]
    with pytest.raises(UserValidationError) as raised:
        validate_new_user(attributes)
    assert {(e.field, e.code) for e in raised.value.errors} == {(f, "missing") for f in missing}


@given(valid_users, st.text(min_size=1, max_size=10).filter(lambda k: k not in ATTRIBUTES))
def test_an_unknown_attribute_is_rejected(attributes: dict[str, object], extra: str) -> None:
    attributes[extra] = "x"
    with pytest.raises(UserValidationError) as raised:
        validate_new_user(attributes)
    assert [(e.field, e.code) for e in raised.value.errors] == [(extra, "unknown_attribute")]


@given(valid_users, st.sets(st.sampled_from(ATTRIBUTES)))
def test_any_subset_of_valid_changes_is_accepted(
    attributes: dict[str, object], keep: set[str]
) -> None:
    changes = {field: attributes[field] for field in keep}
    assert set(validate_changes(changes)) == keep


@given(st.booleans())
def test_a_boolean_is_never_an_age(flag: bool) -> None:
    with pytest.raises(UserValidationError) as raised:
        validate_changes({"age": flag})
    assert raised.value.errors[0].code == "not_an_integer"


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("age", 0, True),
        ("age", 150, True),
        ("age", -1, False),
        ("age", 151, False),
        ("name", "n" * 250, True),
        ("name", "n" * 251, False),
        ("profession", "p" * 250, True),
        ("profession", "p" * 251, False),
        ("address", "a" * 2000, True),
        ("address", "a" * 2001, False),
        ("website", "https://e.com/" + "a" * 236, True),
        ("website", "https://e.com/" + "a" * 237, False),
        ("name", "  " + "n" * 250 + "  ", True),
        ("name", "", False),
        ("name", " ", False),
        ("age", 30.0, False),
        ("age", "30", False),
        ("age", True, False),
        ("address", "line 1\nline 2", True),
        ("address", "line 1\r\nline 2", True),
        ("address", "line 1\rline 2", False),
        ("address", "tab\there", False),
        ("name", "a\x00b", False),
        ("name", "a\x7fb", False),
        ("name", "a\x85b", False),
        ("name", "a\ud800b", False),
        ("name", "\u200fRTL mark\U0001f600", False),  # bidi marks deceive (docs/reliability.md)
        ("name", "R\u00e9sum\u00e9 \U0001f600", True),
    ],
)
def test_boundaries(field: str, value: object, accepted: bool) -> None:
    if accepted:
        assert field in validate_changes({field: value})
    else:
        with pytest.raises(UserValidationError) as raised:
            validate_changes({field: value})
        assert [e.field for e in raised.value.errors] == [field]


def test_crlf_in_an_address_is_stored_as_lf() -> None:
    assert validate_changes({"address": " 1 Main St\r\nTown \r\n"})["address"] == "1 Main St\nTown"


def test_a_website_is_stored_as_given_but_trimmed() -> None:
    assert validate_changes({"website": "  HTTPS://Example.COM/a?b=c#d "})["website"] == (
        "HTTPS://Example.COM/a?b=c#d"
    )


@given(st.text())
def test_validation_never_crashes_on_any_text(text: str) -> None:
    for field in ATTRIBUTES:
        try:
            validate_changes({field: text})
        except UserValidationError as error:
            assert [e.field for e in error.errors] == [field]
            assert all(e.code and e.detail for e in error.errors)


@pytest.mark.parametrize(
    ("field", "value", "code", "detail"),
    [
        ("age", None, "not_an_integer", "age must be a whole number, got null"),
        ("age", True, "not_an_integer", "age must be a whole number, got true"),
        ("age", False, "not_an_integer", "age must be a whole number, got false"),
        ("age", 36.5, "not_an_integer", "age must be a whole number, got the number 36.5"),
        ("age", "36", "not_an_integer", "age must be a whole number, got a string"),
        ("age", [36], "not_an_integer", "age must be a whole number, got a list"),
        ("age", {"n": 36}, "not_an_integer", "age must be a whole number, got an object"),
        ("age", 151, "out_of_range", "age must be between 0 and 150, got 151"),
        ("name", 7, "not_a_string", "name must be a string, got the number 7"),
        ("name", " ", "blank", "name must not be empty"),
        ("name", "n" * 251, "too_long", "name must be at most 250 characters, got 251"),
        (
            "name",
            "a\x00b",
            "control_character",
            "name must not contain control characters (found U+0000)",
        ),
        (
            "name",
            "a\ud800b",
            "invalid_character",
            "name must not contain lone surrogates (found U+D800)",
        ),
        ("age", 1j, "not_an_integer", "age must be a whole number, got complex"),
        ("profession", "", "blank", "profession must not be empty"),
        (
            "address",
            "a\tb",
            "control_character",
            "address must not contain control characters (found U+0009)",
        ),
        (
            "website",
            "https://a b",
            "invalid_url",
            'website must not contain spaces or characters such as <>"{}|\\^`',
        ),
        ("website", "http://[::1", "invalid_url", "website must be a valid URL"),
        (
            "website",
            "ftp://a.example",
            "unsupported_scheme",
            "website must be an absolute http:// or https:// URL",
        ),
        (
            "website",
            "https:a.example",
            "invalid_url",
            "website must be an absolute URL with a host",
        ),
        ("website", 5, "not_a_string", "website must be a string, got the number 5"),
    ],
)
def test_each_refusal_says_what_was_wrong(
    field: str, value: object, code: str, detail: str
) -> None:
    with pytest.raises(UserValidationError) as raised:
        validate_changes({field: value})
    [error] = raised.value.errors
    assert (error.field, error.code, error.detail) == (field, code, detail)
    assert str(raised.value) == "1 invalid field(s)"


def test_a_missing_attribute_is_reported_as_required() -> None:
    with pytest.raises(UserValidationError) as raised:
        validate_new_user({"name": "Ada"})
    assert [(e.field, e.code, e.detail) for e in raised.value.errors] == [
        (field, "missing", f"{field} is required") for field in ATTRIBUTES if field != "name"
    ]

"""The names rule (docs/reliability.md, issue 12 item 4) as properties: names that look the
same have one comparison key; characters that can only deceive are refused."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import UserValidationError
from domain.model import comparison_key
from domain.validation import check_name, validate_changes

#: Invisible characters, written out here rather than taken from the code under test:
#: zero-width space, non-joiner, joiner, word joiner, soft hyphen, BOM, combining grapheme
#: joiner, Mongolian vowel separator, variation selectors 1, 16 and 17, a tag character, the
#: Hangul filler, the left-to-right and right-to-left marks, Arabic letter mark, embeddings,
#: overrides and isolates.
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u034f", "\u180e",
    "\ufe00", "\ufe0f", "\U000e0100", "\U000e0041", "\u3164",
    "\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
]  # fmt: skip

#: Default_Ignorable_Code_Point ranges outside category Cf (DerivedCoreProperties.txt):
#: Hangul fillers, Khmer inherent vowels, Mongolian selectors, variation selectors.
_IGNORABLE_RANGES = [
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF),
]  # fmt: skip


def _ignorable(c: str) -> bool:
    return any(low <= ord(c) <= high for low, high in _IGNORABLE_RANGES)


text_chars = st.characters(exclude_categories=("Cc", "Cs", "Cf", "Cn", "Co"))
names = st.text(text_chars, min_size=1, max_size=60).filter(
    lambda s: (
        any(unicodedata.category(c)[0] in "LNPS" for c in s)
        and not any(_ignorable(c) for c in s)
        and s.strip() == s
        and len(unicodedata.normalize("NFC", s)) <= 250
    )
)


@given(st.text(max_size=60))
def test_the_key_is_idempotent(text: str) -> None:
    assert comparison_key(comparison_key(text)) == comparison_key(text)


@given(st.text(max_size=60), st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]))
def test_every_normalization_form_of_a_text_has_its_key(text: str, form: str) -> None:
    assert comparison_key(unicodedata.normalize(form, text)) == comparison_key(text)


@given(st.text(max_size=60))
def test_case_does_not_change_the_key(text: str) -> None:
    assert comparison_key(text.casefold()) == comparison_key(text)
    assert comparison_key(text.upper().casefold()) == comparison_key(text.upper())


@given(st.text(max_size=30), st.sampled_from(INVISIBLE), st.text(max_size=30))
def test_an_invisible_character_anywhere_does_not_change_the_key(
    before: str, invisible: str, after: str
) -> None:
    assert comparison_key(before + invisible + after) == comparison_key(before + after)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Zo\u00eb", "Zoe\u0308"),  # composed and decomposed
        ("\uff21\uff44\uff41", "Ada"),  # full-width letters
        ("\ufb01ona", "Fiona"),  # a ligature
        ("Stra\u00dfe", "STRASSE"),
        ("\u212bngstr\u00f6m", "\u00c5ngstr\u00f6m"),  # the Angstrom sign
        ("Ada\u3000Lovelace", "Ada Lovelace"),  # an ideographic space
    ],
)
def test_look_alikes_share_a_key(one: str, other: str) -> None:
    assert comparison_key(one) == comparison_key(other)


def test_other_scripts_keep_their_own_key_a_known_limit() -> None:
    # Cyrillic a (U+0430) looks like Latin a: UTS #39 confusables are not folded here.
    assert comparison_key("\u0430da") != comparison_key("ada")


@given(names)
def test_a_visible_name_is_accepted_in_nfc_and_checking_again_changes_nothing(name: str) -> None:
    checked = check_name(name)
    assert checked == unicodedata.normalize("NFC", name)
    assert check_name(checked) == checked


@given(names, st.sampled_from(INVISIBLE), st.integers(0, 60))
def test_a_name_holding_an_invisible_character_is_refused(
    name: str, invisible: str, at: int
) -> None:
    at = min(at, len(name))
    with pytest.raises(UserValidationError) as refused:
        validate_changes({"name": name[:at] + invisible + name[at:]})
    [error] = refused.value.errors
    assert error.code == "invisible_character"
    assert f"U+{ord(invisible):04X}" in error.detail


@pytest.mark.parametrize(
    "name", ["\u0301", "\u0301\u0302 \u0303", "\u200b", "\u200b\u200d\ufeff", "\u202e\u202c"]
)
def test_a_name_with_nothing_visible_is_refused(name: str) -> None:
    with pytest.raises(UserValidationError) as refused:
        validate_changes({"name": name})
    assert [error.field for error in refused.value.errors] == ["name"]


def test_other_attributes_may_hold_invisible_characters() -> None:
    text = "right\u200fto\u200eleft \u202eevil\u202c zero\u200bwidth"
    assert validate_changes({"address": text, "profession": text}) == {
        "address": text,
        "profession": text,
    }

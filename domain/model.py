"""The User entity and the values around it."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from attrs import frozen


@frozen
class Attribute:
    """One attribute of a user that a client sets. Storage, documents and schemas derive
    from USER_ATTRIBUTES, so adding an attribute starts here.

    `text` attributes are strings of at most `max_length` characters, compared, filtered
    exactly and searched by their comparison_key; the others are integers from `minimum`
    to `maximum`.
    """

    name: str
    text: bool
    max_length: int = 0
    minimum: int = 0
    maximum: int = 0


#: Every attribute a client may set, in display order.
USER_ATTRIBUTES: Final = (
    Attribute("name", text=True, max_length=250),
    Attribute("address", text=True, max_length=2000),
    Attribute("age", text=False, minimum=0, maximum=150),
    Attribute("profession", text=True, max_length=250),
    Attribute("website", text=True, max_length=250),
)
ATTRIBUTES: Final = tuple(attribute.name for attribute in USER_ATTRIBUTES)
STRING_ATTRIBUTES: Final = tuple(a.name for a in USER_ATTRIBUTES if a.text)
INTEGER_ATTRIBUTES: Final = tuple(a.name for a in USER_ATTRIBUTES if not a.text)


#: Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15):
#: characters that render as nothing (zero-width space and joiners, soft hyphen, BOM, bidi
#: marks, embeddings, overrides and isolates, variation selectors, tag characters, Hangul
#: fillers). The standard library has no lookup for the property, hence the list.
DEFAULT_IGNORABLE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def comparison_key(text: str) -> str:
    """The form every adapter compares strings by: Unicode's NFKC_Casefold, as UTS #39 and
    PRECIS (RFC 8264) compare identifiers.

    Texts that look the same get the same key: composed and decomposed accents (NFC/NFD),
    compatibility forms (full-width letters, ligatures, superscripts), case (casefold:
    `Straße` and `STRASSE`), and invisible characters, which are dropped (names may not
    hold them, domain.validation; other text may). Used for name uniqueness, exact string
    filters, substring search and string sorting, so the adapters cannot disagree about
    what "the same" means. Mixed-script look-alikes (Latin `a` and Cyrillic `U+0430`) keep
    different keys: a known limit (docs/reliability.md).
    """
    if text.isascii():  # the common case: NFKC leaves ASCII alone and nothing is ignorable
        return text.casefold()
    visible = DEFAULT_IGNORABLE.sub("", text)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return DEFAULT_IGNORABLE.sub("", folded)


@frozen
class NewUser:
    """A validated, normalised user that has not been stored yet."""

    name: str
    address: str
    age: int
    profession: str
    website: str

    @property
    def name_key(self) -> str:
        return comparison_key(self.name)


@frozen
class User:
    """A stored user. `version` starts at 1 and grows by one with every change."""

    id: int
    name: str
    address: str
    age: int
    profession: str
    website: str
    version: int = 1

    @property
    def name_key(self) -> str:
        return comparison_key(self.name)

    def attributes(self) -> dict[str, object]:
        return {attribute: getattr(self, attribute) for attribute in ATTRIBUTES}

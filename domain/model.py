"""The User entity and the values around it."""

from __future__ import annotations

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


def comparison_key(text: str) -> str:
    """The case-insensitive form every adapter compares strings by.

    Used for name uniqueness, exact string filters, substring search and string sorting,
    so the in-memory and SQL adapters cannot disagree about what "the same" means.
    """
    return text.casefold()


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

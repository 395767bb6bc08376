"""The User entity and the values around it."""

from __future__ import annotations

from typing import Final

from attrs import frozen

#: The attributes a client may set, in display order.
ATTRIBUTES: Final = ("name", "address", "age", "profession", "website")
STRING_ATTRIBUTES: Final = ("name", "address", "profession", "website")
INTEGER_ATTRIBUTES: Final = ("age",)


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

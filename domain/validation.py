"""The rules for a user's attributes, in one place.

Each rule is a plain function taking a raw value (``object``) and returning the normalised
value or a list of failures, so the HTTP layer and the property tests share them. Every rule
runs on every field before anything fails: the caller sees all bad fields at once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Final
from urllib.parse import urlsplit

from domain.errors import FieldError, UserValidationError
from domain.model import ATTRIBUTES, DEFAULT_IGNORABLE, STRING_ATTRIBUTES, NewUser

NAME_MAX: Final = 250
ADDRESS_MAX: Final = 2000
PROFESSION_MAX: Final = 250
WEBSITE_MAX: Final = 250
#: The most characters each text attribute holds.
TEXT_MAXIMA: Final = {
    "name": NAME_MAX,
    "address": ADDRESS_MAX,
    "profession": PROFESSION_MAX,
    "website": WEBSITE_MAX,
}
assert tuple(TEXT_MAXIMA) == STRING_ATTRIBUTES
AGE_MIN: Final = 0
AGE_MAX: Final = 150

# Characters a URL may not hold unencoded (RFC 3986); rejecting them keeps stored links inert.
_URL_FORBIDDEN: Final = frozenset(' <>"\\^`{|}')


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; Cs (lone surrogates) is
# U+D800-U+DFFF. One regex scan instead of a category lookup per character (a POST's
# validation took 60 us the per-character way).
_CONTROLS: Final = "\x00-\x1f\x7f-\x9f"
_SURROGATES: Final = "\ud800-\udfff"
_URL_REFUSED: Final = re.compile(r'[\s<>"\\^`{|}]')  # str.isspace() characters or _URL_FORBIDDEN


@functools.cache
def _refused_characters(allowed_controls: str) -> re.Pattern[str]:
    """Matches a control character not in `allowed_controls`, or a lone surrogate."""
    allowed = "".join(re.escape(character) for character in allowed_controls)
    controls = f"(?![{allowed}])[{_CONTROLS}]" if allowed else f"[{_CONTROLS}]"
    return re.compile(f"{controls}|[{_SURROGATES}]")


class _Invalid(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _check_text(field: str, value: object, maximum: int, allowed_controls: str = "") -> str:
    if not isinstance(value, str):
        raise _Invalid("not_a_string", f"{field} must be a string, got {_describe(value)}")
    text = value.strip()
    if not text:
        raise _Invalid("blank", f"{field} must not be empty")
    if len(text) > maximum:
        raise _Invalid("too_long", f"{field} must be at most {maximum} characters, got {len(text)}")
    found = _refused_characters(allowed_controls).search(text)
    if found is not None:
        character = found.group()
        if unicodedata.category(character) == "Cs":
            raise _Invalid(
                "invalid_character",
                f"{field} must not contain lone surrogates (found U+{ord(character):04X})",
            )
        raise _Invalid(
            "control_character",
            f"{field} must not contain control characters (found U+{ord(character):04X})",
        )
    return text


#: Unicode general categories of characters that show something: letters, digits and
#: numbers, punctuation, symbols. A name needs one (not only marks and spaces).
_VISIBLE_CATEGORIES: Final = frozenset("LNPS")


def check_name(value: object) -> str:
    """A name, as PRECIS's nickname profile (RFC 8266) and UTS #39 would have it: stored in
    NFC (composed accents), compared by domain.model.comparison_key (NFKC_Casefold), and
    refused when it holds a character that can only deceive: an invisible (default
    ignorable) one such as a zero-width space or joiner, a soft hyphen, a BOM, a variation
    selector, a tag character, or a bidirectional mark, embedding, override or isolate; or
    when nothing in it is visible."""
    text = _check_text("name", value, NAME_MAX)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        hidden = DEFAULT_IGNORABLE.search(text)
        if hidden is not None:
            raise _Invalid(
                "invisible_character",
                "name must not contain invisible or text-direction characters "
                f"(found U+{ord(hidden.group()):04X})",
            )
        if not any(unicodedata.category(c)[0] in _VISIBLE_CATEGORIES for c in text):
            raise _Invalid("no_visible_character", "name must contain a visible character")
        if len(text) > NAME_MAX:  # NFC lengthens a few characters (composition exclusions)
            raise _Invalid("too_long", f"name must be at most {NAME_MAX} characters")
    return text


def check_address(value: object) -> str:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    return _check_text("address", value, ADDRESS_MAX, allowed_controls="\n")


def check_profession(value: object) -> str:
    return _check_text("profession", value, PROFESSION_MAX)


def check_age(value: object) -> int:
    # bool is a subclass of int in Python; a JSON true is not an age.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("not_an_integer", f"age must be a whole number, got {_describe(value)}")
    if not AGE_MIN <= value <= AGE_MAX:
        raise _Invalid("out_of_range", f"age must be between {AGE_MIN} and {AGE_MAX}, got {value}")
    return value


def check_website(value: object) -> str:
    text = _check_text("website", value, WEBSITE_MAX)
    if _URL_REFUSED.search(text):
        raise _Invalid(
            "invalid_url", 'website must not contain spaces or characters such as <>"{}|\\^`'
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise _Invalid("invalid_url", "website must be a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _Invalid("unsupported_scheme", "website must be an absolute http:// or https:// URL")
    if not text[len(parts.scheme) :].startswith("://") or not parts.hostname:
        raise _Invalid("invalid_url", "website must be an absolute URL with a host")
    return text


RULES: Final[Mapping[str, Callable[[object], object]]] = {
    "name": check_name,
    "address": check_address,
    "age": check_age,
    "profession": check_profession,
    "website": check_website,
}
assert tuple(RULES) == ATTRIBUTES


def _check_fields(attributes: Mapping[str, object]) -> tuple[dict[str, object], list[FieldError]]:
    values: dict[str, object] = {}
    errors: list[FieldError] = []
    for field, value in attributes.items():
        rule = RULES.get(field)
        if rule is None:
            errors.append(
                FieldError(field, "unknown_attribute", f"users have no attribute {field!r}")
            )
            continue
        try:
            values[field] = rule(value)
        except _Invalid as invalid:
            errors.append(FieldError(field, invalid.code, invalid.detail))
    return values, errors


def validate_new_user(attributes: Mapping[str, object]) -> NewUser:
    """Every attribute is required; unknown ones are rejected. Raises UserValidationError."""
    values, errors = _check_fields(attributes)
    errors.extend(
        FieldError(field, "missing", f"{field} is required")
        for field in ATTRIBUTES
        if field not in attributes
    )
    if errors:
        raise UserValidationError(errors)
    return NewUser(**values)  # type: ignore[arg-type]


def validate_changes(attributes: Mapping[str, object]) -> dict[str, object]:
    """Any subset of the attributes, each checked by its rule. Raises UserValidationError."""
    values, errors = _check_fields(attributes)
    if errors:
        raise UserValidationError(errors)
    return values

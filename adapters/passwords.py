"""Password services: Argon2id hashing (argon2-cffi) and a strength estimate (zxcvbn).

argon2-cffi is the reference Argon2 binding kept by the Python Cryptographic Authority's
members (RFC 9106 parameters by default); zxcvbn is Dropbox's estimator, ported to Python:
it refuses common passwords, keyboard walks, dates, names and l33t variants without a list
of our own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Final

import argon2
import zxcvbn  # type: ignore[import-untyped]
from argon2.exceptions import InvalidHashError, VerificationError

from domain.account_ports import Credentials
from domain.accounts import Actor

#: zxcvbn's scale runs 0-4; 3 is "safely unguessable: moderate protection from offline
#: slow-hash scenario" (about 10^10 guesses).
MINIMUM_SCORE: Final = 3
#: Secrets of tokens, session ids and set-up codes: 32 random bytes, 256 bits.
SECRET_BYTES: Final = 32
#: Only zxcvbn's first characters are scored (its matching is quadratic in the length).
_ESTIMATED_PREFIX: Final = 100


class Argon2Hasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory: t=3, m=64 MiB, p=4), or the
    `parameters` given (tests use argon2.profiles.CHEAPEST)."""

    def __init__(self, parameters: argon2.Parameters | None = None) -> None:
        self._hasher = (
            argon2.PasswordHasher()
            if parameters is None
            else argon2.PasswordHasher.from_parameters(parameters)
        )
        # Verified when there is no account, so that an unknown name costs a wrong password.
        self._stand_in = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._stand_in, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False


class ZxcvbnEstimator:
    def weakness(self, password: str, related: Sequence[str]) -> str | None:
        result = zxcvbn.zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=list(related))
        if result["score"] >= MINIMUM_SCORE:
            return None
        feedback = result.get("feedback") or {}
        warning = str(feedback.get("warning") or "").strip()
        return warning or "add more words or characters that are hard to guess"


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def credentials(
    audit: Callable[[str, str, Actor], None], parameters: argon2.Parameters | None = None
) -> Credentials:
    return Credentials(Argon2Hasher(parameters), ZxcvbnEstimator(), new_secret, audit)

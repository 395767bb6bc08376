"""Signed-in test clients: every test folder talks to the app as a signed-in account.

`security()` gives the app its account storage with one account of `role` and an API token
for it; tests send the token on every request (`headers`). Argon2 runs with argon2-cffi's
CHEAPEST parameters here: the tests check behaviour, not hashing cost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, cast

from argon2.profiles import CHEAPEST

from adapters.memory_accounts import in_memory_accounts_factory
from adapters.passwords import credentials
from domain.account_use_cases import create_account, create_token
from domain.accounts import OPERATOR
from entrypoints.audit import audit
from entrypoints.http.auth import AccountsFactory, Security

PASSWORD: Final = "tangerine-orbit-lantern"


def cheap_credentials() -> Any:
    return credentials(audit, CHEAPEST)


def security(
    accounts: Callable[[], Any] | None = None, role: str = "admin", name: str = "tester"
) -> tuple[Security, dict[str, str]]:
    """An account storage (in memory unless given) holding account `name` with `role`, and
    the Authorization header of a token for it."""
    factory = cast(AccountsFactory, accounts or in_memory_accounts_factory())
    kit = cheap_credentials()
    now = datetime.now(UTC)
    account = create_account(factory(), kit, OPERATOR, name, role, PASSWORD, now)
    _, secret = create_token(factory(), kit, OPERATOR, account.id, "tests", now)
    return Security(factory, kit), bearer(secret)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}

"""The app for the exact account and auth tests: memory storage, a clock standing still at
noon on 2026-12-05 (so every moment in a document is a literal), and accounts of each role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, cast

import pytest
from starlette.testclient import TestClient

from adapters.memory import in_memory_uow_factory
from adapters.memory_accounts import InMemoryAccountStore, in_memory_accounts_factory
from domain import account_use_cases as uc
from domain.account_ports import AccountsUnitOfWork
from domain.accounts import OPERATOR
from entrypoints.http.app import create_app
from entrypoints.http.auth import AccountsFactory, Security
from entrypoints.http.resources import UnitOfWorkFactory
from tests.signed_in import PASSWORD, bearer, cheap_credentials

NOON: Final = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
BASE: Final = "http://testserver/api/v1"


class Service:
    """The app over memory; with `roles`, an account of each, named for it, ids from 1."""

    def __init__(self, roles: tuple[str, ...] = ("viewer", "editor", "admin")) -> None:
        self.store = InMemoryAccountStore()
        self.accounts = cast(AccountsFactory, in_memory_accounts_factory(self.store))
        self.kit = cheap_credentials()
        #: Units of work the app has opened on the account storage.
        self.opened = 0
        security = Security(self._counted, self.kit, clock=lambda: NOON)
        app = create_app(cast(UnitOfWorkFactory, in_memory_uow_factory()), security=security)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.ids: dict[str, int] = {}
        for role in roles:
            self.add_account(role, role)

    def _counted(self) -> AccountsUnitOfWork:
        self.opened += 1
        return self.accounts()

    def add_account(self, name: str, role: str) -> int:
        account = uc.create_account(self.accounts(), self.kit, OPERATOR, name, role, PASSWORD, NOON)
        self.ids[name] = account.id
        return account.id

    def token(self, account: str, **options: Any) -> dict[str, str]:
        """The Authorization header of a new token (label "t") for `account`."""
        _, secret = uc.create_token(
            self.accounts(), self.kit, OPERATOR, self.ids[account], "t", NOON, **options
        )
        return bearer(secret)

    def sign_in(self, name: str, password: str = PASSWORD, **headers: str) -> Any:
        document = {
            "data": {"type": "sessions", "attributes": {"username": name, "password": password}}
        }
        return self.client.post("/api/v1/session", json=document, headers=headers)


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "users_service.audit"]

"""An app over memory whose clock moves only when a test moves it, with an account of each
role, for the tests that pin documents and error objects exactly (every moment is known)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final, cast

from starlette.testclient import TestClient

from adapters.memory import in_memory_uow_factory
from adapters.memory_accounts import in_memory_accounts_factory
from domain import account_use_cases as uc
from domain.accounts import OPERATOR
from entrypoints.http.app import create_app
from entrypoints.http.auth import AccountsFactory, Security
from entrypoints.http.resources import UnitOfWorkFactory
from tests.signed_in import PASSWORD, bearer, cheap_credentials

JSONAPI: Final = "application/vnd.api+json"
#: The service's clock reads this until a test moves `Desk.now`.
MOMENT: Final = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


class Desk:
    """Accounts viewer (id 1), editor (2) and admin (3), and the admin's token (id 1, label
    "admin's") in `admin`, with the JSON:API Content-Type."""

    def __init__(self) -> None:
        self.now = [MOMENT]
        self.accounts = cast(AccountsFactory, in_memory_accounts_factory())
        self.kit = cheap_credentials()
        security = Security(self.accounts, self.kit, clock=lambda: self.now[0])
        app = create_app(cast(UnitOfWorkFactory, in_memory_uow_factory()), security=security)
        self.client = TestClient(app, raise_server_exceptions=False)
        for role in ("viewer", "editor", "admin"):
            uc.create_account(self.accounts(), self.kit, OPERATOR, role, role, PASSWORD, MOMENT)
        self.admin = {**self.token(3, "admin's"), "Content-Type": JSONAPI}

    def token(self, account_id: int, label: str, **options: Any) -> dict[str, str]:
        _, secret = uc.create_token(
            self.accounts(), self.kit, OPERATOR, account_id, label, self.now[0], **options
        )
        return bearer(secret)

    def send(self, method: str, path: str, document: object) -> Any:
        """`document` sent as the admin."""
        return self.client.request(method, path, json=document, headers=self.admin)

    def sign_in(self, username: str, password: str = PASSWORD, **extra: object) -> Any:
        document = {
            "data": {
                "type": "sessions",
                "attributes": {"username": username, "password": password, **extra},
            }
        }
        return self.client.post("/api/v1/session", json=document)


@contextmanager
def open_desk() -> Iterator[Desk]:
    """A Desk with its app's lifespan running."""
    made = Desk()
    with made.client:
        yield made

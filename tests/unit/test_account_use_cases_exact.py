"""The account use cases pinned exactly: error codes and details, expiry instants, limits at
the bound and one past it, the returned fields and the audit lines.

Credentials are plain fakes (a readable "hash", a strength check that refuses passwords
containing "weak", numbered secrets), so that every expected value is written out here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from adapters.memory_accounts import InMemoryAccountsUnitOfWork, in_memory_accounts_factory
from domain import account_use_cases as uc
from domain.account_ports import Credentials
from domain.accounts import (
    OPERATOR,
    AccountNotFoundError,
    AccountValidationError,
    Actor,
    ApiToken,
    LastAdminError,
    NotSignedInError,
    Role,
    Session,
    SetupCodeError,
    SignInFailedError,
    TokenNotFoundError,
    TooManyAttemptsError,
)
from domain.errors import FieldError
from domain.policy import ForbiddenError

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PASSWORD = "a-good-long-password"
SECOND = timedelta(seconds=1)


class PlainHasher:
    def hash(self, password: str) -> str:
        return "plain:" + password

    def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash is not None and password_hash == "plain:" + password


class WordStrength:
    """Refuses a password containing "weak"; remembers the related words it was given."""

    def __init__(self) -> None:
        self.related: list[list[str]] = []

    def weakness(self, password: str, related: Sequence[str]) -> str | None:
        self.related.append(list(related))
        return "it says weak" if "weak" in password else None


class Kit:
    def __init__(self) -> None:
        self.audit: list[tuple[str, str, Actor]] = []
        self.secrets = 0
        self.strength = WordStrength()
        self.credentials = Credentials(
            PlainHasher(),
            self.strength,
            self._new_secret,
            lambda event, name, actor: self.audit.append((event, name, actor)),
        )

    def _new_secret(self) -> str:
        self.secrets += 1
        return f"secret-{self.secrets}"

    def events(self) -> list[tuple[str, str]]:
        return [(event, name) for event, name, _ in self.audit]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def codes(error: AccountValidationError) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in error.errors]


@pytest.fixture
def kit() -> Kit:
    return Kit()


@pytest.fixture
def uow() -> Any:
    return in_memory_accounts_factory()


def make(uow: Any, kit: Kit, name: str, role: str) -> Actor:
    account = uc.create_account(uow(), kit.credentials, OPERATOR, name, role, PASSWORD, NOW)
    return Actor(account.id, account.name, account.role, address="10.0.0.1")


def ident(actor: Actor) -> int:
    assert actor.account_id is not None
    return actor.account_id


def store_change(uow: Any, account_id: int, **changes: Any) -> None:
    """Changes a stored account behind the use cases' back (which would end its credentials)."""
    unit: InMemoryAccountsUnitOfWork
    with uow() as unit:
        unit.accounts.save(attrs.evolve(unit.accounts.get(account_id), **changes))
        unit.commit()


# -- check_password -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "error"),
    [
        (None, FieldError("password", "not_a_string", "password must be a string")),
        (10**10, FieldError("password", "not_a_string", "password must be a string")),
        ("x" * 9, FieldError("password", "too_short", "password must be at least 10 characters")),
        (
            "x" * 1025,
            FieldError("password", "too_long", "password must be at most 1024 characters"),
        ),
        (
            "weak-but-long-enough",
            FieldError("password", "weak_password", "password is too easy to guess: it says weak"),
        ),
    ],
)
def test_check_password_refuses_with_one_exact_error(
    kit: Kit, password: object, error: FieldError
) -> None:
    with pytest.raises(AccountValidationError) as refused:
        uc.check_password(kit.credentials, password, "alice")
    assert refused.value.errors == (error,)


@pytest.mark.parametrize("length", [10, 1024])
def test_check_password_accepts_the_bounds_and_weighs_the_account_name(
    kit: Kit, length: int
) -> None:
    password = "y" * length
    assert uc.check_password(kit.credentials, password, "alice") == password
    assert kit.strength.related == [["alice"]]


# -- change_account -------------------------------------------------------------------------


def test_anyone_changes_their_own_password_but_not_their_role_or_enabled(
    uow: Any, kit: Kit
) -> None:
    viewer = make(uow, kit, "vi", "viewer")
    changed = uc.change_account(
        uow(), kit.credentials, viewer, ident(viewer), password="new-one-1234"
    )
    assert (changed.id, changed.name, changed.role, changed.enabled, changed.password_hash) == (
        ident(viewer),
        "vi",
        Role.VIEWER,
        True,
        "plain:new-one-1234",
    )
    assert kit.events()[-1] == ("account_changed password", "vi")
    for change in ({"role": "viewer"}, {"enabled": True}):
        with pytest.raises(ForbiddenError):
            uc.change_account(uow(), kit.credentials, viewer, ident(viewer), **change)


def test_an_editor_may_not_change_another_accounts_password(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    other = make(uow, kit, "vi", "viewer")
    with pytest.raises(ForbiddenError):
        uc.change_account(uow(), kit.credentials, editor, ident(other), password="new-one-1234")
    with uow() as unit:
        assert unit.accounts.get(ident(other)).password_hash == "plain:" + PASSWORD


def test_changing_an_unknown_account_is_not_found(uow: Any, kit: Kit) -> None:
    with pytest.raises(AccountNotFoundError):
        uc.change_account(uow(), kit.credentials, OPERATOR, 99, password="new-one-1234")


def test_change_account_reports_every_bad_field_in_order(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    with pytest.raises(AccountValidationError) as refused:
        uc.change_account(
            uow(),
            kit.credentials,
            OPERATOR,
            ident(editor),
            role="root",
            enabled=1,
            password="short",
        )
    assert refused.value.errors == (
        FieldError("role", "unknown_role", "role must be one of viewer, editor, admin"),
        FieldError("enabled", "not_a_boolean", "enabled must be true or false"),
        FieldError("password", "too_short", "password must be at least 10 characters"),
    )


@pytest.mark.parametrize("enabled", ["false", 0, 1, "true"])
def test_enabled_must_be_a_boolean(uow: Any, kit: Kit, enabled: object) -> None:
    editor = make(uow, kit, "ed", "editor")
    with pytest.raises(AccountValidationError) as refused:
        uc.change_account(uow(), kit.credentials, OPERATOR, ident(editor), enabled=enabled)
    assert codes(refused.value) == [("enabled", "not_a_boolean")]


def test_a_weak_new_password_is_weighed_against_the_accounts_own_name(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    kit.strength.related.clear()
    with pytest.raises(AccountValidationError) as refused:
        uc.change_account(
            uow(), kit.credentials, OPERATOR, ident(editor), password="weak-weak-weak"
        )
    assert codes(refused.value) == [("password", "weak_password")]
    assert kit.strength.related == [["ed"]]


def test_change_account_returns_and_stores_every_change_and_audits_them(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ad", "admin")
    editor = make(uow, kit, "ed", "editor")
    changed = uc.change_account(
        uow(),
        kit.credentials,
        OPERATOR,
        ident(editor),
        role="viewer",
        enabled=False,
        password="new-one-1234",
    )
    assert (changed.name, changed.role, changed.enabled, changed.password_hash) == (
        "ed",
        Role.VIEWER,
        False,
        "plain:new-one-1234",
    )
    with uow() as unit:
        assert unit.accounts.get(ident(editor)) == changed
    assert kit.audit[-1] == ("account_changed role=viewer enabled=false password", "ed", OPERATOR)


def test_change_account_keeps_what_it_is_not_given(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ad", "admin")
    editor = make(uow, kit, "ed", "editor")
    disabled = uc.change_account(uow(), kit.credentials, OPERATOR, ident(editor), enabled=False)
    assert (disabled.role, disabled.enabled, disabled.password_hash) == (
        Role.EDITOR,
        False,
        "plain:" + PASSWORD,
    )
    assert kit.events()[-1] == ("account_changed enabled=false", "ed")
    promoted = uc.change_account(uow(), kit.credentials, OPERATOR, ident(editor), role="admin")
    assert (promoted.role, promoted.enabled, promoted.password_hash) == (
        Role.ADMIN,
        False,
        "plain:" + PASSWORD,
    )
    assert kit.events()[-1] == ("account_changed role=admin", "ed")
    enabled = uc.change_account(uow(), kit.credentials, OPERATOR, ident(editor), enabled=True)
    assert (enabled.role, enabled.enabled) == (Role.ADMIN, True)
    assert kit.events()[-1] == ("account_changed enabled=true", "ed")


def test_a_change_ends_only_the_changed_accounts_sessions_and_tokens(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ad", "admin")
    editor = make(uow, kit, "ed", "editor")
    other = make(uow, kit, "vi", "viewer")
    _, kept_token = uc.create_token(uow(), kit.credentials, other, ident(other), "t", NOW)
    _, _, kept_session = uc.sign_in(uow(), kit.credentials, "vi", PASSWORD, "a", NOW)
    uc.change_account(uow(), kit.credentials, OPERATOR, ident(editor), password="new-one-1234")
    assert uc.authenticate_token(uow(), kept_token, NOW).name == "vi"
    assert uc.authenticate_session(uow(), kept_session, NOW).name == "vi"


def test_an_admin_may_be_demoted_while_another_enabled_admin_remains(uow: Any, kit: Kit) -> None:
    first = make(uow, kit, "ad1", "admin")
    second = make(uow, kit, "ad2", "admin")
    uc.change_account(uow(), kit.credentials, OPERATOR, ident(first), enabled=False)
    with pytest.raises(LastAdminError) as refused:
        uc.change_account(uow(), kit.credentials, OPERATOR, ident(second), role="viewer")
    assert str(refused.value) == "the last enabled administrator cannot be disabled or demoted"
    # The disabled admin is no admin to keep: demoting it needs no other.
    assert uc.change_account(
        uow(), kit.credentials, OPERATOR, ident(first), role="editor"
    ).role is (Role.EDITOR)
    # The last admin may change their password, and be re-enabled-as-is.
    uc.change_account(uow(), kit.credentials, OPERATOR, ident(second), password="new-one-1234")
    uc.change_account(uow(), kit.credentials, OPERATOR, ident(second), enabled=True, role="admin")
    with uow() as unit:
        assert unit.accounts.get(ident(second)).role is Role.ADMIN
        assert unit.accounts.enabled_admins() == 1


# -- create_token ---------------------------------------------------------------------------


def test_create_token_returns_the_stored_token_and_its_secret(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    token, secret = uc.create_token(
        uow(), kit.credentials, editor, ident(editor), "  ci  ", NOW, expires_in_days=3650
    )
    assert secret == "secret-1"
    assert token == ApiToken(
        1, ident(editor), "ed", "ci", Role.EDITOR, sha("secret-1"), NOW, NOW + timedelta(days=3650)
    )
    assert kit.audit[-1] == ("token_created id=1", "ed", editor)
    with uow() as unit:
        assert unit.tokens.all() == [token]


def test_a_token_without_days_never_expires_and_one_day_ends_a_day_later(
    uow: Any, kit: Kit
) -> None:
    editor = make(uow, kit, "ed", "editor")
    forever, _ = uc.create_token(uow(), kit.credentials, editor, ident(editor), "a", NOW)
    assert forever.expires_at is None
    day, _ = uc.create_token(
        uow(), kit.credentials, editor, ident(editor), "b", NOW, expires_in_days=1
    )
    assert day.expires_at == NOW + timedelta(days=1)


def test_create_token_reports_every_bad_field_in_order(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    with pytest.raises(AccountValidationError) as refused:
        uc.create_token(
            uow(), kit.credentials, editor, ident(editor), " ", NOW, role="root", expires_in_days=0
        )
    assert codes(refused.value) == [
        ("label", "blank"),
        ("role", "unknown_role"),
        ("expires_in_days", "out_of_range"),
    ]
    with pytest.raises(AccountValidationError) as refused:
        uc.create_token(
            uow(), kit.credentials, editor, ident(editor), "x", NOW, expires_in_days=3651
        )
    assert codes(refused.value) == [("expires_in_days", "out_of_range")]


ROLE_TOO_HIGH = FieldError("role", "role_too_high", "a token's role is at most its account's")


def test_a_tokens_role_is_at_most_its_accounts_even_for_an_admin(uow: Any, kit: Kit) -> None:
    admin = make(uow, kit, "ad", "admin")
    viewer = make(uow, kit, "vi", "viewer")
    with pytest.raises(AccountValidationError) as refused:
        uc.create_token(uow(), kit.credentials, admin, ident(viewer), "x", NOW, role="editor")
    assert refused.value.errors == (ROLE_TOO_HIGH,)
    token, _ = uc.create_token(uow(), kit.credentials, admin, ident(viewer), "x", NOW)
    assert (token.account_name, token.role) == ("vi", Role.VIEWER)


def test_a_tokens_role_is_at_most_its_actors(uow: Any, kit: Kit) -> None:
    admin = make(uow, kit, "ad", "admin")
    as_editor = attrs.evolve(admin, role=Role.EDITOR)
    with pytest.raises(AccountValidationError) as refused:
        uc.create_token(uow(), kit.credentials, as_editor, ident(admin), "x", NOW, role="admin")
    assert refused.value.errors == (ROLE_TOO_HIGH,)
    token, _ = uc.create_token(
        uow(), kit.credentials, as_editor, ident(admin), "x", NOW, role="editor"
    )
    assert token.role is Role.EDITOR


def test_no_token_for_a_disabled_account(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ad", "admin")
    viewer = make(uow, kit, "vi", "viewer")
    uc.change_account(uow(), kit.credentials, OPERATOR, ident(viewer), enabled=False)
    with pytest.raises(AccountValidationError) as refused:
        uc.create_token(uow(), kit.credentials, OPERATOR, ident(viewer), "x", NOW)
    assert refused.value.errors == (FieldError("account", "disabled", "account 'vi' is disabled"),)
    with uow() as unit:
        assert unit.tokens.all() == []


def test_a_viewer_may_not_make_a_token_for_another_account(uow: Any, kit: Kit) -> None:
    viewer = make(uow, kit, "vi", "viewer")
    other = make(uow, kit, "vi2", "viewer")
    with pytest.raises(ForbiddenError):
        uc.create_token(uow(), kit.credentials, viewer, ident(other), "x", NOW)
    with pytest.raises(AccountNotFoundError):
        uc.create_token(uow(), kit.credentials, OPERATOR, 99, "x", NOW)


# -- authenticate_token ---------------------------------------------------------------------


def test_authenticate_token_gives_the_actor_the_token_stands_for(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    token, secret = uc.create_token(
        uow(), kit.credentials, editor, ident(editor), "x", NOW, role="viewer", expires_in_days=2
    )
    assert uc.authenticate_token(uow(), secret, NOW) == Actor(
        ident(editor), "ed", Role.VIEWER, NOW + timedelta(days=2), token_id=token.id
    )


def test_a_token_ends_at_its_expiry_instant(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    _, secret = uc.create_token(
        uow(), kit.credentials, editor, ident(editor), "x", NOW, expires_in_days=1
    )
    assert uc.authenticate_token(uow(), secret, NOW + timedelta(days=1) - SECOND).name == "ed"
    with pytest.raises(NotSignedInError) as refused:
        uc.authenticate_token(uow(), secret, NOW + timedelta(days=1))
    assert str(refused.value) == "unknown, expired or revoked API token"
    with pytest.raises(NotSignedInError) as unknown:
        uc.authenticate_token(uow(), "no-such-secret", NOW)
    assert str(unknown.value) == "unknown, expired or revoked API token"


@pytest.mark.parametrize("credential", ["token", "session"])
def test_a_credential_of_a_disabled_account_is_refused(uow: Any, kit: Kit, credential: str) -> None:
    editor = make(uow, kit, "ed", "editor")
    if credential == "token":
        _, secret = uc.create_token(uow(), kit.credentials, editor, ident(editor), "x", NOW)
        authenticate = uc.authenticate_token
    else:
        _, _, secret = uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", NOW)
        authenticate = uc.authenticate_session
    store_change(uow, ident(editor), enabled=False)
    with pytest.raises(NotSignedInError) as refused:
        authenticate(uow(), secret, NOW)
    assert str(refused.value) == "the account is disabled"


def test_a_token_acts_with_no_more_than_its_accounts_present_role(uow: Any, kit: Kit) -> None:
    admin = make(uow, kit, "ad", "admin")
    _, secret = uc.create_token(
        uow(), kit.credentials, admin, ident(admin), "x", NOW, role="editor"
    )
    assert uc.authenticate_token(uow(), secret, NOW).role is Role.EDITOR
    store_change(uow, ident(admin), role=Role.VIEWER)
    assert uc.authenticate_token(uow(), secret, NOW).role is Role.VIEWER
    store_change(uow, ident(admin), role=Role.EDITOR)
    assert uc.authenticate_token(uow(), secret, NOW).role is Role.EDITOR


# -- authenticate_session -------------------------------------------------------------------


def test_authenticate_session_gives_the_account_and_the_sessions_end(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    _, _, secret = uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", NOW)
    assert uc.authenticate_session(uow(), secret, NOW) == Actor(
        ident(editor), "ed", Role.EDITOR, NOW + timedelta(hours=12)
    )


def test_a_session_is_touched_once_a_minute_has_passed(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    _, session, secret = uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", NOW)
    almost = NOW + timedelta(minutes=1) - SECOND
    assert uc.authenticate_session(uow(), secret, almost).ends_at == NOW + timedelta(hours=12)
    with uow() as unit:
        assert unit.sessions.by_digest(session.secret_digest) == session
    minute = NOW + timedelta(minutes=1)
    assert uc.authenticate_session(uow(), secret, minute).ends_at == minute + timedelta(hours=12)
    with uow() as unit:
        assert unit.sessions.by_digest(session.secret_digest) == attrs.evolve(
            session, last_seen_at=minute
        )


def test_a_session_ends_at_its_idle_end_and_is_then_forgotten(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    _, session, secret = uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", NOW)
    end = NOW + timedelta(hours=12)
    assert uc.authenticate_session(uow(), secret, end - SECOND).name == "ed"
    store_session(uow, session)  # undo the touch
    with pytest.raises(NotSignedInError) as expired:
        uc.authenticate_session(uow(), secret, end)
    assert str(expired.value) == "the session has expired"
    with uow() as unit:
        assert unit.sessions.by_digest(session.secret_digest) is None
    with pytest.raises(NotSignedInError) as unknown:
        uc.authenticate_session(uow(), secret, NOW)
    assert str(unknown.value) == "unknown or ended session"


def store_session(uow: Any, session: Session) -> None:
    with uow() as unit:
        unit.sessions.add(session)
        unit.commit()


# -- sign_in --------------------------------------------------------------------------------


def test_sign_in_returns_the_account_a_new_session_and_its_secret(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    account, session, secret = uc.sign_in(uow(), kit.credentials, "  ED ", PASSWORD, "a", NOW)
    assert (account.id, account.name) == (ident(editor), "ed")
    assert secret == "secret-1"
    assert session == Session(sha("secret-1"), ident(editor), NOW, NOW)
    event, name, actor = kit.audit[-1]
    assert (event, name, actor.account_id, actor.name, actor.role, actor.address) == (
        "sign_in",
        "ed",
        ident(editor),
        "ED",
        Role.VIEWER,
        "a",
    )


@pytest.mark.parametrize(
    ("name", "password", "errors"),
    [
        ("", "", [("username", "blank"), ("password", "blank")]),
        (None, PASSWORD, [("username", "blank")]),
        ("ed", 5, [("password", "blank")]),
    ],
)
def test_sign_in_needs_a_name_and_a_password(
    uow: Any, kit: Kit, name: object, password: object, errors: list[tuple[str, str]]
) -> None:
    with pytest.raises(AccountValidationError) as refused:
        uc.sign_in(uow(), kit.credentials, name, password, "a", NOW)
    assert codes(refused.value) == errors
    assert refused.value.errors[0].detail == f"{errors[0][0]} must be given"


def failures(uow: Any, key: str) -> list[datetime]:
    with uow() as unit:
        found: list[datetime] = unit.failures.since(key, NOW - timedelta(days=1))
        return found


def test_a_failed_sign_in_is_counted_for_the_name_and_the_address(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    with pytest.raises(SignInFailedError) as refused:
        uc.sign_in(uow(), kit.credentials, " Ed ", "wrong-password", "10.1.1.1", NOW)
    assert str(refused.value) == "the username or password is wrong"
    assert failures(uow, "account:ed") == [NOW]
    assert failures(uow, "address:10.1.1.1") == [NOW]
    event, name, actor = kit.audit[-1]
    assert (event, name, actor.address) == ("sign_in_failed", "Ed", "10.1.1.1")
    # Success forgets the name's failures, not the address's.
    uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "10.1.1.1", NOW + SECOND)
    assert failures(uow, "account:ed") == []
    assert failures(uow, "address:10.1.1.1") == [NOW]


def test_an_unknown_name_is_audited_cut_to_100_characters(uow: Any, kit: Kit) -> None:
    with pytest.raises(SignInFailedError):
        uc.sign_in(uow(), kit.credentials, "n" * 150, PASSWORD, "a", NOW)
    event, name, actor = kit.audit[-1]
    assert (event, name, actor.account_id) == ("sign_in_failed", "n" * 100, None)


def test_a_disabled_account_with_the_right_password_fails_and_counts(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    store_change(uow, ident(editor), enabled=False)
    with pytest.raises(SignInFailedError):
        uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", NOW)
    assert failures(uow, "account:ed") == [NOW]


def test_only_the_first_1024_characters_of_a_password_count(uow: Any, kit: Kit) -> None:
    long = "p" * 1024
    uc.create_account(uow(), kit.credentials, OPERATOR, "ed", "editor", long, NOW)
    uc.sign_in(uow(), kit.credentials, "ed", long + "extra", "a", NOW)


def fail(uow: Any, kit: Kit, name: str, address: str, at: datetime) -> None:
    with pytest.raises(SignInFailedError):
        uc.sign_in(uow(), kit.credentials, name, "wrong-password", address, at)


def test_four_failures_of_a_name_still_let_it_try(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    for number in range(4):
        fail(uow, kit, "ed", f"10.0.0.{number}", NOW)
    uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "10.9.9.9", NOW)


def test_nineteen_failures_from_an_address_still_let_it_try(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    for number in range(19):
        fail(uow, kit, f"guess{number}", "10.6.6.6", NOW)
    uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "10.6.6.6", NOW)


def test_the_wait_is_at_least_a_second(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    for number in range(5):
        fail(uow, kit, "ed", f"10.0.0.{number}", NOW)
    with pytest.raises(TooManyAttemptsError) as refused:
        uc.sign_in(
            uow(), kit.credentials, "ed", PASSWORD, "b", NOW + timedelta(minutes=15) - SECOND / 2
        )
    assert refused.value.retry_after == SECOND
    assert str(refused.value) == "too many failed sign-ins; try again later"


def test_the_longer_of_the_two_waits_is_given(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    for minute in range(5):
        fail(uow, kit, "ed", f"10.0.0.{minute}", NOW + timedelta(minutes=minute))
    for number in range(20):
        fail(uow, kit, f"guess{number}", "10.6.6.6", NOW + timedelta(minutes=6))
    with pytest.raises(TooManyAttemptsError) as refused:
        uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "10.6.6.6", NOW + timedelta(minutes=10))
    assert refused.value.retry_after == timedelta(minutes=11)
    with pytest.raises(TooManyAttemptsError) as refused:
        uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "10.7.7.7", NOW + timedelta(minutes=10))
    assert refused.value.retry_after == timedelta(minutes=5)


def test_failures_older_than_the_window_are_forgotten(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    fail(uow, kit, "someone", "10.0.0.1", NOW)
    fail(uow, kit, "someone", "10.0.0.1", NOW + SECOND)
    fail(uow, kit, "other", "10.0.0.2", NOW + timedelta(minutes=15))
    with uow() as unit:
        assert unit.failures.since("address:10.0.0.1", NOW - timedelta(days=1)) == [NOW + SECOND]


def test_sign_in_ends_the_previous_session_and_forgets_ended_ones(uow: Any, kit: Kit) -> None:
    make(uow, kit, "ed", "editor")
    make(uow, kit, "vi", "viewer")
    _, old, _ = uc.sign_in(uow(), kit.credentials, "vi", PASSWORD, "a", NOW)
    _, kept, _ = uc.sign_in(uow(), kit.credentials, "vi", PASSWORD, "a", NOW + timedelta(hours=1))
    _, previous, previous_secret = uc.sign_in(
        uow(), kit.credentials, "ed", PASSWORD, "a", NOW + timedelta(hours=1)
    )
    later = NOW + timedelta(hours=12)
    uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", later, previous_secret)
    with uow() as unit:
        assert unit.sessions.by_digest(old.secret_digest) is None
        assert unit.sessions.by_digest(kept.secret_digest) == kept
        assert unit.sessions.by_digest(previous.secret_digest) is None


# -- set_up_administrator -------------------------------------------------------------------


def test_set_up_administrator_creates_and_signs_in_the_first_admin(uow: Any, kit: Kit) -> None:
    code = uc.issue_setup_code(uow(), kit.credentials, NOW)
    assert code == "secret-1"
    kit.strength.related.clear()
    account, session, secret = uc.set_up_administrator(
        uow(), kit.credentials, code, " root ", PASSWORD, "10.2.2.2", NOW + timedelta(minutes=59)
    )
    assert (account.name, account.role, account.enabled, account.password_hash) == (
        "root",
        Role.ADMIN,
        True,
        "plain:" + PASSWORD,
    )
    assert secret == "secret-2"
    at = NOW + timedelta(minutes=59)
    assert session == Session(sha("secret-2"), account.id, at, at)
    assert kit.strength.related == [[" root "]]
    assert kit.audit == [
        (
            "administrator_created",
            "root",
            Actor(account.id, "root", Role.ADMIN, address="10.2.2.2"),
        )
    ]


def test_set_up_checks_the_fields_before_taking_the_code(uow: Any, kit: Kit) -> None:
    code = uc.issue_setup_code(uow(), kit.credentials, NOW)
    assert code is not None
    with pytest.raises(AccountValidationError) as refused:
        uc.set_up_administrator(uow(), kit.credentials, code, "", "short", "a", NOW)
    assert codes(refused.value) == [("name", "blank"), ("password", "too_short")]
    uc.set_up_administrator(uow(), kit.credentials, code, "root", PASSWORD, "a", NOW)


def test_no_set_up_while_an_enabled_admin_exists(uow: Any, kit: Kit) -> None:
    code = uc.issue_setup_code(uow(), kit.credentials, NOW)
    assert code is not None
    admin = make(uow, kit, "ad", "admin")
    with pytest.raises(SetupCodeError) as refused:
        uc.set_up_administrator(uow(), kit.credentials, code, "root", PASSWORD, "a", NOW)
    assert str(refused.value) == "this set-up link is not valid (any more)"
    with uow() as unit:
        assert [a.name for a in unit.accounts.all()] == ["ad"]
    # The code was not used up by the refusal: with the admin disabled it still works.
    store_change(uow, ident(admin), enabled=False)
    account, _, _ = uc.set_up_administrator(
        uow(), kit.credentials, code, "root", PASSWORD, "a", NOW
    )
    assert account.role is Role.ADMIN


def test_create_account_gives_the_strength_check_the_new_accounts_name(uow: Any, kit: Kit) -> None:
    # A password built from the account's own name is easy to guess: the estimator is told it.
    uc.create_account(uow(), kit.credentials, OPERATOR, "grace", "viewer", PASSWORD, NOW)
    assert kit.strength.related == [["grace"]]


# -- find_account, get_token, sign_out ------------------------------------------------------


def test_find_account_finds_an_account_by_its_name_for_an_admin(uow: Any, kit: Kit) -> None:
    admin = make(uow, kit, "ad", "admin")
    editor = make(uow, kit, "ed", "editor")
    found = uc.find_account(uow(), admin, "ed")
    assert (found.id, found.name, found.role) == (ident(editor), "ed", Role.EDITOR)
    with pytest.raises(AccountNotFoundError) as missing:
        uc.find_account(uow(), admin, "nobody")
    assert (str(missing.value), missing.value.reference) == ("no account 'nobody'", "'nobody'")


def test_only_an_admin_finds_accounts_by_name(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    with pytest.raises(ForbiddenError):
        uc.find_account(uow(), editor, "ed")


def test_get_token_gives_ones_own_token_and_an_admin_anyones(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    admin = make(uow, kit, "ad", "admin")
    token, _ = uc.create_token(uow(), kit.credentials, editor, ident(editor), "ci", NOW)
    assert uc.get_token(uow(), editor, token.id) == token
    assert uc.get_token(uow(), admin, token.id) == token


def test_another_accounts_token_is_not_found_for_a_non_admin(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    other = make(uow, kit, "ot", "editor")
    token, _ = uc.create_token(uow(), kit.credentials, editor, ident(editor), "ci", NOW)
    with pytest.raises(TokenNotFoundError) as hidden:
        uc.get_token(uow(), other, token.id)
    assert (str(hidden.value), hidden.value.token_id) == (f"no API token {token.id}", token.id)


def test_sign_out_ends_that_session_only_and_is_audited(uow: Any, kit: Kit) -> None:
    editor = make(uow, kit, "ed", "editor")
    _, _, first = uc.sign_in(uow(), kit.credentials, "ed", PASSWORD, "a", NOW)
    make(uow, kit, "vi", "viewer")
    _, _, other = uc.sign_in(uow(), kit.credentials, "vi", PASSWORD, "b", NOW)
    uc.sign_out(uow(), kit.credentials, editor, first)
    assert kit.audit[-1] == ("sign_out", "ed", editor)
    with pytest.raises(NotSignedInError):
        uc.authenticate_session(uow(), first, NOW)
    assert uc.authenticate_session(uow(), other, NOW).name == "vi"

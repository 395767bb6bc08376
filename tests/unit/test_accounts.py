"""The account use cases and the policy, on the in-memory adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2.profiles import CHEAPEST

from adapters.memory import in_memory_uow_factory
from adapters.memory_accounts import in_memory_accounts_factory
from adapters.passwords import credentials as make_credentials
from domain import account_use_cases as uc
from domain.accounts import (
    OPERATOR,
    AccountNameTakenError,
    AccountValidationError,
    Actor,
    LastAdminError,
    NotSignedInError,
    Role,
    SetupCodeError,
    SignInFailedError,
    TokenNotFoundError,
    TooManyAttemptsError,
)
from domain.policy import ForbiddenError
from domain.use_cases import get_user, register_user, remove_user
from tests.http.documents import attributes as new_user

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PASSWORD = "tangerine-orbit-lantern"
AUDIT: list[tuple[str, str, str]] = []


@pytest.fixture
def kit() -> Any:
    AUDIT.clear()
    return make_credentials(lambda e, a, actor: AUDIT.append((e, a, actor.address)), CHEAPEST)


@pytest.fixture
def uow() -> Any:
    return in_memory_accounts_factory()


def make(uow: Any, kit: Any, name: str, role: str) -> Actor:
    account = uc.create_account(uow(), kit, OPERATOR, name, role, PASSWORD, NOW)
    return Actor(account.id, account.name, account.role, address="10.0.0.1")


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [("viewer", True, False), ("editor", True, True), ("admin", True, True)],
)
def test_the_user_use_cases_apply_the_policy_to_the_actor(
    uow: Any, kit: Any, role: str, reads: bool, writes: bool
) -> None:
    actor = make(uow, kit, "someone", role)
    users = in_memory_uow_factory()
    existing = register_user(users(), new_user())
    if reads:
        assert get_user(users(), existing.id, actor=actor) == existing
    if writes:
        register_user(users(), new_user(name="Other"), actor=actor)
        remove_user(users(), existing.id, actor=actor)
    else:
        with pytest.raises(ForbiddenError):
            register_user(users(), new_user(name="Other"), actor=actor)
        with pytest.raises(ForbiddenError):
            remove_user(users(), existing.id, actor=actor)
        assert get_user(users(), existing.id) == existing


def test_only_admins_manage_accounts(uow: Any, kit: Any) -> None:
    editor = make(uow, kit, "ed", "editor")
    admin = make(uow, kit, "ad", "admin")
    with pytest.raises(ForbiddenError):
        uc.create_account(uow(), kit, editor, "new", "viewer", PASSWORD, NOW)
    with pytest.raises(ForbiddenError):
        uc.list_accounts(uow(), editor)
    assert editor.account_id is not None
    with pytest.raises(ForbiddenError):
        uc.change_account(uow(), kit, editor, editor.account_id, role="admin")
    created = uc.create_account(uow(), kit, admin, "new", "viewer", PASSWORD, NOW)
    assert [a.name for a in uc.list_accounts(uow(), admin)] == ["ad", "ed", "new"]
    assert created.role is Role.VIEWER
    assert ("account_created", "new", "10.0.0.1") in AUDIT


def test_account_names_are_unique_case_insensitively(uow: Any, kit: Any) -> None:
    make(uow, kit, "Alice", "viewer")
    with pytest.raises(AccountNameTakenError):
        uc.create_account(uow(), kit, OPERATOR, "alice", "viewer", PASSWORD, NOW)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "too_short"),
        ("password123", "weak_password"),
        ("qwertyuiopasdf", "weak_password"),
        ("alice-alice-alice", "weak_password"),
        (12345678901, "not_a_string"),
    ],
)
def test_short_common_and_guessable_passwords_are_refused(
    uow: Any, kit: Any, password: object, code: str
) -> None:
    with pytest.raises(AccountValidationError) as refused:
        uc.create_account(uow(), kit, OPERATOR, "alice", "viewer", password, NOW)
    assert [(e.field, e.code) for e in refused.value.errors] == [("password", code)]


def test_every_bad_field_is_reported_at_once(uow: Any, kit: Any) -> None:
    with pytest.raises(AccountValidationError) as refused:
        uc.create_account(uow(), kit, OPERATOR, " bad name", "root", "x", NOW)
    assert {e.field for e in refused.value.errors} == {"name", "role", "password"}


def test_passwords_are_stored_as_argon2id_hashes_only(uow: Any, kit: Any) -> None:
    actor = make(uow, kit, "alice", "viewer")
    assert actor.account_id is not None
    with uow() as unit:
        stored = unit.accounts.get(actor.account_id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_token_stands_for_its_account_with_at_most_its_role(uow: Any, kit: Any) -> None:
    editor = make(uow, kit, "ed", "editor")
    assert editor.account_id is not None
    _, secret = uc.create_token(uow(), kit, editor, editor.account_id, "ci", NOW, role="viewer")
    assert len(secret) >= 43  # 256 bits, URL-safe base64
    actor = uc.authenticate_token(uow(), secret, NOW)
    assert (actor.name, actor.role) == ("ed", Role.VIEWER)
    with pytest.raises(AccountValidationError):
        uc.create_token(uow(), kit, editor, editor.account_id, "ci", NOW, role="admin")
    with uow() as unit:
        assert secret not in repr(unit.tokens.all())


def test_a_token_acting_as_viewer_cannot_mint_an_editor_token(uow: Any, kit: Any) -> None:
    editor = make(uow, kit, "ed", "editor")
    assert editor.account_id is not None
    _, secret = uc.create_token(uow(), kit, editor, editor.account_id, "ro", NOW, role="viewer")
    as_viewer = uc.authenticate_token(uow(), secret, NOW)
    with pytest.raises(AccountValidationError):
        uc.create_token(uow(), kit, as_viewer, editor.account_id, "rw", NOW, role="editor")


def test_tokens_expire_and_revoke(uow: Any, kit: Any) -> None:
    ed = make(uow, kit, "ed", "editor")
    assert ed.account_id is not None
    token, secret = uc.create_token(uow(), kit, ed, ed.account_id, "x", NOW, expires_in_days=1)
    assert uc.authenticate_token(uow(), secret, NOW + timedelta(hours=23)).name == "ed"
    with pytest.raises(NotSignedInError):
        uc.authenticate_token(uow(), secret, NOW + timedelta(days=1))
    token, secret = uc.create_token(uow(), kit, ed, ed.account_id, "y", NOW)
    uc.revoke_token(uow(), kit, ed, token.id)
    with pytest.raises(NotSignedInError):
        uc.authenticate_token(uow(), secret, NOW)


def test_others_tokens_are_invisible_except_to_admins(uow: Any, kit: Any) -> None:
    ed, vi, ad = (
        make(uow, kit, n, r) for n, r in [("ed", "editor"), ("vi", "viewer"), ("ad", "admin")]
    )
    assert ed.account_id is not None and vi.account_id is not None
    token, _ = uc.create_token(uow(), kit, ed, ed.account_id, "mine", NOW)
    uc.create_token(uow(), kit, vi, vi.account_id, "hers", NOW)
    assert [t.label for t in uc.list_tokens(uow(), ed)] == ["mine"]
    assert [t.label for t in uc.list_tokens(uow(), ad)] == ["mine", "hers"]
    with pytest.raises(TokenNotFoundError):
        uc.revoke_token(uow(), kit, vi, token.id)
    with pytest.raises(ForbiddenError):
        uc.list_tokens(uow(), vi, ed.account_id)
    with pytest.raises(ForbiddenError):
        uc.create_token(uow(), kit, vi, ed.account_id, "sneaky", NOW)
    uc.revoke_token(uow(), kit, ad, token.id)


@pytest.mark.parametrize(
    "change", [{"password": "another-quiet-harbour"}, {"role": "viewer"}, {"enabled": False}]
)
def test_any_account_change_ends_its_sessions_and_revokes_its_tokens(
    uow: Any, kit: Any, change: dict[str, Any]
) -> None:
    make(uow, kit, "ad", "admin")
    ed = make(uow, kit, "ed", "editor")
    assert ed.account_id is not None
    _, token = uc.create_token(uow(), kit, ed, ed.account_id, "x", NOW)
    _, _, session = uc.sign_in(uow(), kit, "ed", PASSWORD, "10.0.0.2", NOW)
    uc.change_account(uow(), kit, OPERATOR, ed.account_id, **change)
    with pytest.raises(NotSignedInError):
        uc.authenticate_token(uow(), token, NOW)
    with pytest.raises(NotSignedInError):
        uc.authenticate_session(uow(), session, NOW)


def test_the_last_enabled_admin_stays(uow: Any, kit: Any) -> None:
    ad = make(uow, kit, "ad", "admin")
    assert ad.account_id is not None
    with pytest.raises(LastAdminError):
        uc.change_account(uow(), kit, OPERATOR, ad.account_id, enabled=False)
    with pytest.raises(LastAdminError):
        uc.change_account(uow(), kit, OPERATOR, ad.account_id, role="editor")
    make(uow, kit, "ad2", "admin")
    uc.change_account(uow(), kit, OPERATOR, ad.account_id, role="editor")


def test_sign_in_opens_a_new_session_each_time_and_ends_the_previous(uow: Any, kit: Any) -> None:
    make(uow, kit, "alice", "viewer")
    _, _, first = uc.sign_in(uow(), kit, "ALICE", PASSWORD, "10.0.0.3", NOW)
    _, _, second = uc.sign_in(uow(), kit, "alice", PASSWORD, "10.0.0.3", NOW, first)
    assert first != second
    with pytest.raises(NotSignedInError):
        uc.authenticate_session(uow(), first, NOW)
    assert uc.authenticate_session(uow(), second, NOW).role is Role.VIEWER
    assert ("sign_in", "alice", "10.0.0.3") in AUDIT


def test_sessions_end_after_12_hours_idle_and_7_days_in_all(uow: Any, kit: Any) -> None:
    make(uow, kit, "alice", "viewer")
    _, _, idle = uc.sign_in(uow(), kit, "alice", PASSWORD, "a", NOW)
    with pytest.raises(NotSignedInError):
        uc.authenticate_session(uow(), idle, NOW + timedelta(hours=12))
    _, _, busy = uc.sign_in(uow(), kit, "alice", PASSWORD, "a", NOW)
    moment = NOW
    while moment < NOW + timedelta(days=7) - timedelta(hours=11):
        moment += timedelta(hours=11)
        uc.authenticate_session(uow(), busy, moment)
    with pytest.raises(NotSignedInError):
        uc.authenticate_session(uow(), busy, NOW + timedelta(days=7))


def test_wrong_passwords_and_unknown_names_fail_alike(uow: Any, kit: Any) -> None:
    make(uow, kit, "alice", "viewer")
    with pytest.raises(SignInFailedError) as wrong:
        uc.sign_in(uow(), kit, "alice", "not-the-password", "a", NOW)
    with pytest.raises(SignInFailedError) as unknown:
        uc.sign_in(uow(), kit, "nobody", PASSWORD, "a", NOW)
    assert str(wrong.value) == str(unknown.value)


def test_five_failures_for_an_account_within_15_minutes_lock_it_for_a_while(
    uow: Any, kit: Any
) -> None:
    make(uow, kit, "alice", "viewer")
    for minute in range(5):
        with pytest.raises(SignInFailedError):
            uc.sign_in(
                uow(),
                kit,
                "alice",
                "wrong-wrong",
                f"10.0.0.{minute}",
                NOW + timedelta(minutes=minute),
            )
    later = NOW + timedelta(minutes=5)
    with pytest.raises(TooManyAttemptsError) as refused:
        uc.sign_in(uow(), kit, "alice", PASSWORD, "10.9.9.9", later)
    assert refused.value.retry_after == timedelta(minutes=10)
    uc.sign_in(uow(), kit, "alice", PASSWORD, "10.9.9.9", NOW + timedelta(minutes=15))


def test_twenty_failures_from_one_address_refuse_it(uow: Any, kit: Any) -> None:
    for number in range(20):
        with pytest.raises(SignInFailedError):
            uc.sign_in(uow(), kit, f"guess{number}", "wrong-wrong", "10.6.6.6", NOW)
    make(uow, kit, "alice", "viewer")
    with pytest.raises(TooManyAttemptsError):
        uc.sign_in(uow(), kit, "alice", PASSWORD, "10.6.6.6", NOW)
    uc.sign_in(uow(), kit, "alice", PASSWORD, "10.0.0.1", NOW)


def test_a_disabled_account_cannot_sign_in(uow: Any, kit: Any) -> None:
    make(uow, kit, "ad", "admin")
    vi = make(uow, kit, "vi", "viewer")
    assert vi.account_id is not None
    uc.change_account(uow(), kit, OPERATOR, vi.account_id, enabled=False)
    with pytest.raises(SignInFailedError):
        uc.sign_in(uow(), kit, "vi", PASSWORD, "a", NOW)
    uc.change_account(uow(), kit, OPERATOR, vi.account_id, enabled=True)
    uc.sign_in(uow(), kit, "vi", PASSWORD, "a", NOW)


def test_the_first_run_code_creates_one_administrator_once(uow: Any, kit: Any) -> None:
    code = uc.issue_setup_code(uow(), kit, NOW)
    assert code is not None and len(code) >= 43
    with pytest.raises(SetupCodeError):
        uc.set_up_administrator(uow(), kit, "guess", "root", PASSWORD, "a", NOW)
    account, _, session = uc.set_up_administrator(uow(), kit, code, "root", PASSWORD, "a", NOW)
    assert account.role is Role.ADMIN
    assert uc.authenticate_session(uow(), session, NOW).name == "root"
    with pytest.raises(SetupCodeError):
        uc.set_up_administrator(uow(), kit, code, "root2", PASSWORD, "a", NOW)
    assert uc.issue_setup_code(uow(), kit, NOW) is None


def test_a_first_run_code_expires_after_an_hour(uow: Any, kit: Any) -> None:
    code = uc.issue_setup_code(uow(), kit, NOW)
    assert code is not None
    with pytest.raises(SetupCodeError):
        uc.set_up_administrator(uow(), kit, code, "root", PASSWORD, "a", NOW + timedelta(hours=1))


class CountingHasher:
    """The real Argon2 hasher, recording which hashes verify() was asked about."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.verified: list[str | None] = []

    def hash(self, password: str) -> str:
        return str(self.inner.hash(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified.append(password_hash)
        return bool(self.inner.verify(password_hash, password))


def test_the_counting_hasher_passes_verification_through(kit: Any) -> None:
    counting = CountingHasher(kit.hasher)
    stored = counting.hash(PASSWORD)
    assert counting.verify(stored, PASSWORD) and not counting.verify(stored, "other")
    assert not counting.verify(None, PASSWORD)
    assert counting.verified == [stored, stored, None]


def test_an_unknown_account_costs_a_password_verification_like_a_wrong_password(
    uow: Any, kit: Any
) -> None:
    import attrs

    counting = CountingHasher(kit.hasher)
    counted = attrs.evolve(kit, hasher=counting)
    make(uow, counted, "alice", "viewer")
    for name in ("alice", "nobody"):
        with pytest.raises(SignInFailedError):
            uc.sign_in(uow(), counted, name, "wrong-wrong-wrong", "a", NOW)
    assert len(counting.verified) == 2
    assert counting.verified[0] is not None and counting.verified[1] is None

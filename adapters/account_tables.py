"""The account tables (migration 0008): accounts, and their credentials stored as digests
only; failed sign-ins and first-run codes. On the shared `metadata` of adapters/tables.py,
so the migration drift check covers them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
)

from adapters.tables import metadata
from domain.accounts import ACCOUNT_NAME_MAX, ROLE_NAMES, TOKEN_LABEL_MAX

_ROLES = "role IN (" + ", ".join(f"'{role}'" for role in ROLE_NAMES) + ")"
#: SHA-256 in hex.
DIGEST_LENGTH = 64

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("name", String(ACCOUNT_NAME_MAX), nullable=False),
    Column("name_key", String(ACCOUNT_NAME_MAX * 3), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("enabled", Boolean(create_constraint=False), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_ROLES, name="role_known"),
    sqlite_autoincrement=True,
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("label", String(TOKEN_LABEL_MAX), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_digest", String(DIGEST_LENGTH), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(_ROLES, name="role_known"),
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions",
    metadata,
    Column("secret_digest", String(DIGEST_LENGTH), primary_key=True),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, index=True),
)

#: One row per failed sign-in and key ("account:<name key>", "address:<client address>").
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("key", String(400), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
)
Index(None, sign_in_failures.c.key, sign_in_failures.c.failed_at)
Index(None, sign_in_failures.c.failed_at)

setup_codes = Table(
    "setup_codes",
    metadata,
    Column("code_digest", String(DIGEST_LENGTH), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

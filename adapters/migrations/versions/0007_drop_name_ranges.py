"""Drop the counted name ranges (0005): offset pages are bounded by a window instead.

Revision ID: 0007_drop_name_ranges
Revises: 0006_nfkc_name_keys
Create Date: 2026-12-04

Removes name_buckets, name_bucket_changes and the triggers that kept them; downgrading
puts them back as 0005 created them (one range holding every user).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

revision: str = "0007_drop_name_ranges"
down_revision: str | Sequence[str] | None = "0006_nfkc_name_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name_ranges_migration() -> ModuleType:
    """Migration 0005 itself: what it created is exactly what goes, and comes back."""
    path = Path(__file__).with_name("0005_name_buckets.py")
    spec = importlib.util.spec_from_file_location("migration_0005_name_buckets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    _name_ranges_migration().downgrade()


def downgrade() -> None:
    _name_ranges_migration().upgrade()

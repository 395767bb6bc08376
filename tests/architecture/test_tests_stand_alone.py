"""The tests' own rules: they never import bench/ (helpers live in tests/support/), and only
tests/support/users.py spells out a whole user, so a new attribute touches one test file."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ATTRIBUTES = {"name", "address", "age", "profession", "website"}
FACTORY = TESTS / "support" / "users.py"


def _trees() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(), str(p))) for p in sorted(TESTS.rglob("*.py"))]


def test_no_test_imports_bench() -> None:
    found = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [
                f"{path.relative_to(TESTS)}: {n}" for n in names if n.split(".")[0] == "bench"
            ]
    assert found == []


def test_only_the_factory_spells_out_a_whole_user() -> None:
    found = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and path != FACTORY:
                # A user literal: every attribute, mostly fixed values (a dict of per-attribute
                # hypothesis strategies or of computed values is not one).
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                fixed = {
                    k.value
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
                }
                if keys >= ATTRIBUTES and len(fixed & ATTRIBUTES) >= 3:
                    found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert found == [], "build users with tests/support/users.py"

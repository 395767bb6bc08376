"""The gates that pyproject configures, run by the suite so a CI run fails on them: strict
mypy, ruff's formatter, and a CI lock file that still matches the package's dependencies."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCK = ROOT / "requirements" / "ci.txt"
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", re.MULTILINE)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_is_clean() -> None:
    # The packages and strictness come from [tool.mypy] in pyproject.toml.
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def _locked() -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PINNED.findall(LOCK.read_text())}


def test_the_ci_lock_pins_every_declared_dependency_within_its_range() -> None:
    # A dependency added to pyproject without `uv pip compile` (docs/testing.md) fails here.
    locked = _locked()
    missing = sorted(set(_declared()) - set(locked))
    assert missing == [], f"not in requirements/ci.txt, refresh the lock: {missing}"
    outside = {
        name: (str(req.specifier), locked[name])
        for name, req in _declared().items()
        if not req.specifier.contains(locked[name], prereleases=True)
    }
    assert outside == {}


def test_the_ci_lock_leaves_out_the_project_itself() -> None:
    # `.ci/run` installs the project with --no-deps -e after the lock.
    assert "users-service" not in _locked()
    assert len(_locked()) > len(_declared())  # transitive pins are there too

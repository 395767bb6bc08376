"""The dependency rule and the code-quality gates, as tests so CI cannot skip them."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _imports(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((path, node.module))
    return found


def test_domain_imports_only_the_standard_library_and_attrs() -> None:
    allowed = set(sys.stdlib_module_names) - {"json", "sqlite3"} | {"attrs", "domain", "__future__"}
    bad = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports("domain")
        if module.split(".")[0] not in allowed
    ]
    assert bad == []


def test_adapters_never_import_entrypoints_or_http_libraries() -> None:
    forbidden = {"entrypoints", "starlette", "uvicorn", "cattrs"}
    bad = [m for _, m in _imports("adapters") if m.split(".")[0] in forbidden]
    assert bad == []


def test_only_the_wiring_imports_adapters() -> None:
    bad = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports("entrypoints")
        if module.split(".")[0] == "adapters" and path.name != "bootstrap.py"
    ]
    assert bad == []


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("package", ["domain", "adapters", "entrypoints", "webclient"])
def test_top_level_packages_come_from_this_project(package: str) -> None:
    module = __import__(package)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == ROOT / package


def test_no_installed_distribution_brings_the_pypi_entrypoints_package() -> None:
    owners = {
        dist.metadata["Name"]
        for dist in metadata.distributions()
        if "entrypoints" in (dist.read_text("top_level.txt") or "").split()
        or any(str(f).split("/")[0] in ("entrypoints.py", "entrypoints") for f in dist.files or [])
    }
    assert owners <= {"users-service"}, owners


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout

"""Mutation testing of domain/ and entrypoints/http/ with mutmut (docs/testing.md).

The one command, from the project root (a fresh run; `--resume` keeps earlier verdicts):

    nice -n 19 .venv/bin/python -m tests.support.mutation

What makes a run fit in minutes:

- each folder's mutants are tested by that folder's own tests only: a mutant of domain/ by
  tests/unit and tests/contract, a mutant of entrypoints/http/ by tests/http. The stats run
  (the one run of every test that tells mutmut which tests reach which function) forgets what a
  test reached in another folder's package, so a mutant's process never even collects the
  other folder's tests (`forget_other_folders_hits`); `keep_the_mutated_folders_tests`
  deselects them should any remain;
- hypothesis runs the `mutation` profile in every mutmut process (mutmut sets
  MUTANT_UNDER_TEST): fewer, derandomized examples, no example database, no deadline;
- a mutant that `mypy --strict` refuses is counted as caught without running a test (mutmut's
  `type_check_command`, this module's `mypy` subcommand): `.ci/run` refuses such code too.

Outside a mutation run MUTANT_UNDER_TEST is unset and nothing here changes a test run.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

TESTS = Path(__file__).resolve().parents[1]
FOLDERS_BY_PACKAGE = {
    "domain.": ("unit", "contract"),
    "entrypoints.http.": ("http",),
}


def _package_of(name: str) -> str | None:
    return next((p for p in FOLDERS_BY_PACKAGE if name.startswith(p)), None)


#: Never run by mutmut: schemathesis's ASGI client keeps the app's event-loop thread and
#: lifespan process-wide, and a forked mutant process inherits them without the thread, so
#: every run of it hangs until mutmut's timeout (false timeouts, six seconds each).
NOT_IN_MUTATION_RUNS = (TESTS / "http" / "test_openapi_fuzz.py",)


def keep_the_mutated_folders_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    mutant = os.environ["MUTANT_UNDER_TEST"]
    package = _package_of(mutant)
    roots = [TESTS / folder for folder in FOLDERS_BY_PACKAGE.get(package or "", ("",))]
    kept = [
        i
        for i in items
        if i.path not in NOT_IN_MUTATION_RUNS
        and any(r == i.path or r in i.path.parents for r in roots)
    ]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    # First the test modules named after the mutated module, then the `*_exact.py` ones (which
    # pin answers whole), each in mutmut's order: that is where a mutant fails. mutmut orders a
    # mutant's tests by their measured call time, which leaves out each HTTP test's app and
    # client set-up, so the failing test of a function every HTTP test reaches came after
    # hundreds of others (create_app's mutant 41: 486 passed before the one that failed, 8 after).
    words = _words(mutant.split(".")[-2]) if package else set()
    items[:] = sorted(
        kept,
        key=lambda item: (
            not words & _words(item.path.stem),
            not item.path.name.endswith("_exact.py"),
        ),
    )


def _words(name: str) -> set[str]:
    """The words of a module's name, singular: `test_error_documents_exact` -> error, ..."""
    return {word.removesuffix("s") for word in name.split("_")} - {"test", "exact", ""}


def forget_other_folders_hits(item: pytest.Item) -> None:
    """In mutmut's stats run, drop the functions this test reached outside its own folder's
    package before mutmut records them (called before mutmut's own teardown hook)."""
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    from mutmut.state import state  # only present in mutation runs (the dev extra)

    hits: set[str] = state()._stats
    folder = item.path.relative_to(TESTS).parts[0]
    for name in list(hits):
        package = _package_of(name)
        if package is not None and folder not in FOLDERS_BY_PACKAGE[package]:
            hits.discard(name)


#: Hypothesis in mutation runs: the same examples in every run and every mutant (derandomized,
#: no example database shared by the forked workers), fewer of them, and no deadline (the
#: mutated code runs through mutmut's trampolines, slower than usual).
settings.register_profile(
    "mutation",
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def load_the_mutation_profile() -> None:
    if "MUTANT_UNDER_TEST" in os.environ:
        settings.load_profile("mutation")


# mypy's verdicts on the mutated copies (run by mutmut in mutants/, as its type_check_command).
# Kept: the errors a mutant brings that its unmutated copy (`..._mutmut_orig`) does not have,
# of the codes that mean "this code is wrong". Left out: what mutmut's trampolines cause in
# every copy alike (an ignore comment no longer needed, an attribute defined in each copy of
# __init__, a type mypy cannot infer across the copies, Any returned through the trampoline).
_ARTEFACT_CODES = frozenset({"unused-ignore", "no-redef", "has-type", "var-annotated"})
_ARTEFACT_CODES |= {"no-any-return"}


def _copies(path: Path) -> Iterator[tuple[str, int, int]]:
    """(name, first line, last line) of each mutated or original copy of a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            yield node.name, node.lineno, node.end_lineno or node.lineno


def _mutants_type_errors(report: list[dict[str, object]]) -> list[dict[str, object]]:
    by_file: dict[str, list[dict[str, object]]] = {}
    for error in report:
        by_file.setdefault(str(error["file"]), []).append(error)
    kept = []
    for file, errors in by_file.items():
        copies = list(_copies(Path(file)))

        def copy_of(line: int, copies: list[tuple[str, int, int]] = copies) -> str | None:
            return next((n for n, first, last in copies if first <= line <= last), None)

        located = [(copy_of(int(str(e["line"]))), e) for e in errors]
        in_original = {
            (name.rsplit("__mutmut_", 1)[0], e["code"], e["message"])
            for name, e in located
            if name is not None and name.endswith("__mutmut_orig")
        }
        for name, error in located:
            if name is None or name.endswith("__mutmut_orig"):
                continue
            if error["severity"] != "error" or error["code"] in _ARTEFACT_CODES:
                continue
            if (name.rsplit("__mutmut_", 1)[0], error["code"], error["message"]) in in_original:
                continue
            kept.append(error)
    return kept


FOLDERS = {"domain/": Path("domain"), "entrypoints/http/": Path("entrypoints/http")}


def mypy_report() -> int:
    """mutmut's type_check_command: mypy --strict on mutants/, the mutants' own errors only."""
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--output", "json", *FOLDERS],
        capture_output=True,
        encoding="utf-8",
        check=False,
    )
    report = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    for error in _mutants_type_errors(report):
        print(json.dumps(error))
    return 0


def scores(root: Path = Path("mutants")) -> dict[str, Counter[str]]:
    """The verdicts per folder, named as mutmut names them."""
    from mutmut.stats import status_by_exit_code

    result: dict[str, Counter[str]] = {}
    for label, folder in FOLDERS.items():
        counts: Counter[str] = Counter()
        for meta in sorted((root / folder).glob("*.py.meta")):
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            counts.update(status_by_exit_code[code] for code in codes.values())
        result[label] = counts
    return result


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["mypy"]:
        return mypy_report()
    # mutmut runs the type check command (python -m ...) with this interpreter's scripts first.
    scripts = str(Path(sys.executable).parent)
    os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    if "--resume" not in arguments:
        shutil.rmtree("mutants", ignore_errors=True)
    children = str(os.cpu_count() or 2)
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", children])
    minutes = (time.monotonic() - started) / 60
    print(f"\nmutmut run: exit {run.returncode}, {minutes:.1f} minutes, load {os.getloadavg()}")
    for label, counts in scores().items():
        total = sum(counts.values())
        verdicts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
        print(f"{label}: {total} mutants: {verdicts}")
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

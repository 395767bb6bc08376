"""A larger schemathesis run than the bounded one in tests/http/test_openapi_fuzz.py: every
operation of /api/v1/openapi.json, all phases (examples, coverage, fuzzing, stateful) and all
checks, against `users-service serve` on SQLite (1 worker) and on a throwaway PostgreSQL
database (2 workers). Afterwards the server log must hold no error (a 500 is logged).

    .venv/bin/python bench/fuzz_openapi.py                 # 300 examples per operation
    .venv/bin/python bench/fuzz_openapi.py --max-examples 50 --backend sqlite

`positive_data_acceptance` is left out: the OpenAPI schema cannot say everything the rules
refuse (120.0 is a JSON Schema integer; control characters and lone surrogates), so
schema-valid documents the service answers with a 422 are expected, not failures.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.servers import serving, throwaway_database

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
EXCLUDED_CHECKS = "positive_data_acceptance"


def fuzz(backend: str, max_examples: int, seed: int) -> tuple[int, int, str]:
    """Runs schemathesis against a fresh service; returns (cases, exit status, summary)."""
    workers = 2 if backend == "postgresql" else 1
    with tempfile.TemporaryDirectory(prefix="users-fuzz-") as folder:
        databases = (
            nullcontext(f"sqlite:///{folder}/users.db")
            if backend == "sqlite"
            else throwaway_database(prefix="users_fuzz")
        )
        with databases as url, serving(url, workers=workers, log_dir=Path(folder)) as server:
            done = subprocess.run(
                [
                    SCHEMATHESIS,
                    "run",
                    f"{server.base}/api/v1/openapi.json",
                    "--checks",
                    "all",
                    "--exclude-checks",
                    EXCLUDED_CHECKS,
                    "--max-examples",
                    str(max_examples),
                    "--seed",
                    str(seed),
                    "--no-color",
                    "--request-timeout",
                    "30",
                    # Signed in as an admin: signed out, every operation is a 401.
                    "--header",
                    f"Authorization: Bearer {server.token}",
                ],
                capture_output=True,
                text=True,
                timeout=3000,
                check=False,
            )
            errors = [line for line in server.log().splitlines() if " ERROR " in line]
    summary = done.stdout[done.stdout.rfind("SUMMARY") :] or done.stdout[-3000:]
    cases = re.search(r"(\d+) generated", summary)
    status = done.returncode or (1 if errors else 0)
    if errors:
        summary += "\nserver log errors:\n" + "\n".join(errors[:10])
    return (int(cases.group(1)) if cases else 0), status, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--max-examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    worst = 0
    for backend in backends:
        cases, status, summary = fuzz(backend, args.max_examples, args.seed)
        print(f"== {backend}: {cases} test cases, schemathesis exit status {status}\n{summary}")
        worst = max(worst, status)
    return worst


if __name__ == "__main__":
    sys.exit(main())

"""What recording history costs: POST, PATCH and DELETE throughput (and, as a check, a read
and a list page) of this tree against a revision without history, in the same run, on
PostgreSQL with 1,000,000 users.

    .venv/bin/python -m bench.history_cost [--baseline REV] [--users N] [--duration S]
                                           [--rounds N] [--database-url URL]

Checks REV out in a temporary worktree, seeds two throwaway databases alike (bench.seed), one
migrated by each tree, serves each with one worker (its own code: PYTHONPATH), and runs each
write scenario of bench.run alternately on both, --rounds times, so that other load on the
machine moves both alike. Prints each run and the median rates, and writes the table to
bench/results/history-cost.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.run import (
    BIN,
    DEFAULT_SERVER,
    RESULTS,
    ROOT,
    TOKEN_VARIABLE,
    postgresql_database,
    server,
    wrk,
)
from bench.seed import seed
from tests.support.servers import ADMIN_PASSWORD, free_port

#: The last commit of main before history was recorded (issue 16).
DEFAULT_BASELINE = "2241565"
#: The writes, and two reads that must cost nothing extra.
SCENARIOS = (
    "POST /users",
    "PATCH age, If-Match",
    "DELETE /users/{id}",
    "GET /users/{random id}",
    "list page 1, sort=name",
)


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="users_baseline_")) / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), revision],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)],
            check=False,
            capture_output=True,
        )


def cli(tree: Path, *args: str, stdin: str | None = None) -> str:
    """`users-service ARGS` run from `tree`'s code."""
    done = subprocess.run(
        [str(BIN / "python"), "-m", "entrypoints.cli", *args],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        input=stdin,
        text=True,
        capture_output=True,
        check=True,
    )
    return done.stdout.strip()


def prepare(tree: Path, url: str, users: int) -> str:
    """Migrates and seeds `url` with `tree`'s code; returns an admin token."""
    cli(tree, "migrate", "--database-url", url)
    seed(url, users)
    flags = ["--database-url", url]
    cli(tree, "accounts", "create", "bench", "--role", "admin", "--password-stdin", *flags,
        stdin=ADMIN_PASSWORD)  # fmt: skip
    return cli(tree, "tokens", "create", "bench", "--name", "bench", *flags)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history_cost")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="revision without history")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per scenario and tree")
    parser.add_argument("--database-url", default=DEFAULT_SERVER)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / "history-cost-server.log"
    users = args.users
    per_run = users // (4 * 4 * args.rounds)  # ids for PATCH and DELETE, each run its own
    with (
        worktree(args.baseline) as baseline,
        postgresql_database(args.database_url, keep=False) as without_db,
        postgresql_database(args.database_url, keep=False) as with_db,
    ):
        trees = {"without history": (baseline, without_db.url), "with history": (ROOT, with_db.url)}
        tokens, ports = {}, {}
        for name, (tree, url) in trees.items():
            tokens[name] = prepare(tree, url, users)
            ports[name] = free_port()
            print(f"{name}: seeded {users:,} users ({tree})", flush=True)
        commands = {
            # From the tree's folder: `python -m` puts the working folder first on the path.
            name: ["env", "-C", str(tree), str(BIN / "python"), "-m", "entrypoints.cli", "serve",
                   "--database-url", url, "--port", str(ports[name])]
            for name, (tree, url) in trees.items()
        }  # fmt: skip
        rates: dict[tuple[str, str], list[float]] = {}
        os.environ["PYTHONPATH"] = str(baseline)
        with server(
            commands["without history"], f"http://127.0.0.1:{ports['without history']}/healthz", log
        ):
            os.environ["PYTHONPATH"] = str(ROOT)
            with server(
                commands["with history"], f"http://127.0.0.1:{ports['with history']}/healthz", log
            ):
                run_id = uuid.uuid4().hex[:8]
                low = users // 4
                for round_number in range(args.rounds):
                    for scenario in SCENARIOS:
                        # Back to back, first one tree then the other, by turns: load on the
                        # machine drifting during the run moves both alike.
                        order = list(trees)[:: 1 if round_number % 2 == 0 else -1]
                        for name in order:
                            if scenario == "POST /users":
                                wrk_args = ["post", "0", "0", f"{run_id}{round_number}{name[0]}"]
                            elif scenario.startswith("GET"):
                                wrk_args = ["get", "1", str(users // 4)]  # never deleted
                            elif scenario.startswith("list"):
                                wrk_args = [
                                    "path",
                                    "0",
                                    "0",
                                    "/api/v1/users?sort=name&page[size]=20",
                                ]
                            else:
                                kind = "patch" if scenario.startswith("PATCH") else "delete"
                                wrk_args = [kind, str(low), str(low + per_run)]
                                low += per_run
                            os.environ[TOKEN_VARIABLE] = tokens[name]
                            result = wrk(scenario, ports[name], wrk_args, args.duration, None)
                            if result.unexpected:
                                raise SystemExit(f"{name} {scenario}: {result.statuses}")
                            rates.setdefault((scenario, name), []).append(result.rate)
                            print(f"round {round_number + 1} {name:>15} {scenario:<20} "
                                  f"{result.rate:8,.0f} req/s  p50 {result.p50_ms:6.2f} ms",
                                  flush=True)  # fmt: skip
    lines = [
        f"With and without history, PostgreSQL, {users:,} users, one worker each, "
        f"wrk 32 connections, {args.rounds} alternating runs of {args.duration:g} s; "
        f"baseline {args.baseline}.",
        "",
        "| scenario | without history (req/s) | with history (req/s) | cost |",
        "|---|---|---|---|",
    ]
    for scenario in SCENARIOS:
        without = statistics.median(rates[(scenario, "without history")])
        with_history = statistics.median(rates[(scenario, "with history")])
        lines.append(
            f"| {scenario} | {without:,.0f} | {with_history:,.0f} | "
            f"{1 - with_history / without:.0%} |"
        )
    command = "python -m bench.history_cost " + " ".join(argv if argv is not None else sys.argv[1:])
    lines += ["", f"`{command.strip()}`"]
    report = "\n".join(lines)
    (RESULTS / "history-cost.md").write_text(report + "\n")
    print()
    print(report)


if __name__ == "__main__":
    main()

"""Load with verification: many concurrent clients register, read, list, change (If-Match) and
remove users for a while, recording every answer; afterwards everything is read back and
checked against what the service acknowledged (tests/support/ledger.py; the load itself is
tests/support/load_verify.py, shared with the reliability tests).

    .venv/bin/python bench/load_verify.py                      # both backends, 64 clients, 60 s
    .venv/bin/python bench/load_verify.py --backend sqlite --clients 16 --duration 5
    .venv/bin/python bench/load_verify.py --base-url http://127.0.0.1:8000   # a running service

`--backend postgresql` makes a throwaway database on $TEST_POSTGRES_URL (default the local
server) and drops it afterwards; `--backend mariadb` likewise on the local MariaDB
(mysql://root@127.0.0.1:3306/); SQLite uses a temporary file. Exits 1 when any check fails:
a 5xx, a lost write, a false 409/412/404, a stale read, a duplicate name or a wrong answer.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.load_verify import _errors_by_status, run_against_backend, run_load


def print_report(report: dict[str, Any]) -> None:
    where = report.get("backend", report.get("base_url"))
    lines = [
        f"== {where} (workers: {report.get('workers', '?')}), {report['clients']} clients, "
        f"{report['duration_s']} s",
        f"operations: {report['operations']} ({report['operations_per_s']}/s), "
        f"acknowledged writes: {report['acknowledged_writes']}, "
        f"users created: {report['users_created']}, at the end: {report['users_at_end']}",
        f"latency ms: {report['latency_ms']}",
        f"errors by status: {_errors_by_status(report['statuses']) or 'none'}",
        f"5xx: {report['server_errors']}, no answer: {report['no_answer']}, "
        f"lost writes: {report['lost_writes']}, false conflicts: {report['false_conflicts']}, "
        f"stale reads: {report['stale_reads']}, phantom writes: {report['phantom_writes']}, "
        f"duplicate names: {report['duplicate_names']}, "
        f"wrong answers: {report['wrong_answer_count']}",
        *(f"  ! {example}" for example in report["examples"] + report["wrong_answers"]),
        "OK" if report["ok"] else "FAILED",
    ]
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "mariadb", "both"), default="both"
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument(
        "--workers", type=int, help="default: 2 on PostgreSQL, 1 on SQLite and MariaDB"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--base-url", help="load a running service instead (127.0.0.1 only)")
    parser.add_argument("--json", type=Path, help="also write the reports to this file")
    parser.add_argument(
        "--token",
        default=os.environ.get("USERS_SERVICE_TOKEN"),
        help="API token for --base-url (default: $USERS_SERVICE_TOKEN)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 512 or not 0 < args.duration <= 3600:
        parser.error("clients must be 1..512 and duration 0..3600 s")
    reports = []
    if args.base_url:
        if not args.base_url.startswith(("http://127.0.0.1", "http://localhost")):
            parser.error("only a service on 127.0.0.1 may be loaded")
        if not args.token:
            parser.error("--base-url needs --token (an editor's or admin's API token)")
        report = asyncio.run(
            run_load(args.base_url, args.clients, args.duration, args.seed, args.token)
        )
        reports.append({"base_url": args.base_url, **report})
    else:
        backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
        for backend in backends:
            reports.append(
                run_against_backend(backend, args.clients, args.duration, args.seed, args.workers)
            )
    for report in reports:
        print_report(report)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2, ensure_ascii=False))
    return 0 if all(report["ok"] for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())

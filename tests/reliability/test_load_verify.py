"""The load-with-verification script in short mode against real `users-service serve`
processes, and its checker against a ledger with known faults (so a pass means something)."""

from __future__ import annotations

import pytest

from tests.support.ledger import (
    Ledger,
    Read,
    Verdict,
    Write,
    check_conflicts,
    check_final_state,
    check_reads,
)
from tests.support.load_verify import run_against_backend


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_short_load_loses_nothing_and_answers_no_5xx(backend: str) -> None:
    report = run_against_backend(backend, clients=16, duration=2.5, seed=7)
    assert report["operations"] > 200
    assert report["server_errors"] == 0 and report["no_answer"] == 0, report["statuses"]
    assert report["lost_writes"] == 0 and report["false_conflicts"] == 0, report["examples"]
    assert report["ok"], report
    assert report["server_log_errors"] == []  # the server logged no ERROR line either


def _created(user_id: int, version: int = 1, name: str = "Ada", at: float = 0.0) -> Write:
    write = Write("create", user_id, at, at + 1, 201, name, version, {"name": name})
    return write


def test_the_checker_finds_a_lost_create_a_lost_change_and_a_phantom() -> None:
    ledger = Ledger()
    ledger.writes += [_created(1), _created(2), _created(3)]
    change = Write("change", 2, 2, 3, 200, None, 2, {"name": "Ada 2"}, if_match=1)
    ledger.writes.append(change)
    verdict = Verdict()
    check_final_state(ledger, verdict, {1: None, 2: (1, {"name": "Ada"}), 3: (2, {"name": "x"})})
    assert len(verdict.lost_writes) == 2 and len(verdict.phantoms) == 1


def test_the_checker_finds_false_conflicts_and_stale_reads() -> None:
    ledger = Ledger()
    ledger.writes.append(_created(1, name="Ada"))
    refused_name = Write("create", None, 5, 6, 409, "Grace")  # nobody ever held Grace
    stale = Write("change", 1, 5, 6, 412, None, if_match=1)  # version 1 never moved
    missing = Write("remove", 1, 5, 6, 404)  # never removed
    ledger.writes += [refused_name, stale, missing]
    ledger.reads.append(Read(1, 7, 8, 404, None))
    verdict = Verdict()
    check_conflicts(ledger, verdict, [refused_name, stale, missing])
    check_reads(ledger, verdict)
    assert len(verdict.false_conflicts) == 3 and len(verdict.stale_reads) == 1


def test_the_checker_accepts_a_true_name_conflict() -> None:
    ledger = Ledger()
    ledger.writes.append(_created(1, name="Ada", at=0))
    refused = Write("create", None, 5, 6, 409, "  ADA ")
    ledger.writes.append(refused)
    verdict = Verdict()
    check_conflicts(ledger, verdict, [refused])
    assert verdict.ok

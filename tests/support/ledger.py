"""The ledger of a load run: every write and read the clients made, with when it started and
when its answer came, and the checks that prove nothing acknowledged was lost.

A write is *acknowledged* when the service answered it with success (201, 200, 204); a write
that got no answer or a 5xx is *uncertain*: it may or may not have happened, and the checks
accept either outcome for that user (they never count it as lost or as a phantom).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

Attributes = dict[str, Any]


def name_key(name: str) -> str:
    """How the service compares names: trimmed, then casefolded."""
    return name.strip().casefold()


@dataclass
class Write:
    kind: str  # "create" | "change" | "remove"
    user_id: int | None
    start: float
    end: float
    status: int | None  # None: no answer (timeout, connection reset)
    sent_name: str | None = None  # the name a create or change tried to set
    version: int | None = None  # the version an acknowledged create/change returned
    attributes: Attributes | None = None  # the attributes it returned
    if_match: int | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201, 204)

    @property
    def uncertain(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass
class Read:
    user_id: int
    start: float
    end: float
    status: int
    version: int | None


@dataclass
class Ledger:
    writes: list[Write] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # wrong answers seen during the run

    def count(self, operation: str, status: int | None) -> None:
        self.statuses[f"{operation} {status if status is not None else 'no-answer'}"] += 1

    def problem(self, text: str) -> None:
        if len(self.problems) < 200:
            self.problems.append(text)

    def by_user(self) -> dict[int, list[Write]]:
        grouped: dict[int, list[Write]] = defaultdict(list)
        for write in self.writes:
            if write.user_id is not None:
                grouped[write.user_id].append(write)
        return grouped


@dataclass
class Verdict:
    lost_writes: list[str] = field(default_factory=list)
    false_conflicts: list[str] = field(default_factory=list)
    stale_reads: list[str] = field(default_factory=list)
    phantoms: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    checked_users: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.lost_writes
            or self.false_conflicts
            or self.stale_reads
            or self.phantoms
            or self.duplicates
        )

    def summary(self) -> dict[str, Any]:
        return {
            "checked_users": self.checked_users,
            "lost_writes": len(self.lost_writes),
            "false_conflicts": len(self.false_conflicts),
            "stale_reads": len(self.stale_reads),
            "phantom_writes": len(self.phantoms),
            "duplicate_names": len(self.duplicates),
            "examples": (
                self.lost_writes
                + self.false_conflicts
                + self.stale_reads
                + self.phantoms
                + self.duplicates
            )[:10],
        }


def _holds(ledger: Ledger) -> dict[str, list[tuple[int, float, float]]]:
    """For each name key, when which user may have held it: from the start of the write that
    set it until the end of the acknowledged write that renamed or removed the user."""
    holds: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for user_id, writes in ledger.by_user().items():
        setters = [w for w in writes if w.sent_name is not None and not _refused(w)]
        for setter in setters:
            assert setter.sent_name is not None
            key = name_key(setter.sent_name)
            released = math.inf
            for later in writes:
                if later.acknowledged and later.start > setter.end and later is not setter:
                    renames = later.sent_name is not None and name_key(later.sent_name) != key
                    if later.kind == "remove" or renames:
                        released = min(released, later.end)
            holds[key].append((user_id, setter.start, released))
    for write in ledger.writes:  # a create that got no answer may hold its name forever
        if write.user_id is None and write.uncertain and write.sent_name is not None:
            holds[name_key(write.sent_name)].append((-1, write.start, math.inf))
    return holds


def _refused(write: Write) -> bool:
    return write.status is not None and 400 <= write.status < 500


def check_conflicts(ledger: Ledger, verdict: Verdict, conflicts: list[Write]) -> None:
    """Every 409 and 412 must be a true conflict as far as the clients know."""
    holds = _holds(ledger)
    by_user = ledger.by_user()
    for refused in conflicts:
        if refused.status == 409:
            assert refused.sent_name is not None
            key = name_key(refused.sent_name)
            justified = any(
                holder != refused.user_id and start < refused.end and released > refused.start
                for holder, start, released in holds.get(key, [])
            )
            if not justified:
                verdict.false_conflicts.append(
                    f"409 for {refused.sent_name!r} (user {refused.user_id}) that nobody held"
                )
        elif refused.status == 412:
            assert refused.user_id is not None and refused.if_match is not None
            moved = any(
                w.start < refused.end
                and w.kind != "remove"
                and (w.uncertain or (w.version is not None and w.version > refused.if_match))
                for w in by_user.get(refused.user_id, [])
                if w is not refused
            )
            if not moved:
                verdict.false_conflicts.append(
                    f"412 for user {refused.user_id} at version {refused.if_match} that never moved"
                )
        elif refused.status == 404 and refused.user_id is not None:
            removed = any(
                w.kind == "remove" and (w.acknowledged or w.uncertain) and w.start < refused.end
                for w in by_user.get(refused.user_id, [])
            )
            if not removed:
                verdict.false_conflicts.append(f"404 for user {refused.user_id} never removed")


def check_reads(ledger: Ledger, verdict: Verdict) -> None:
    """A read that starts after a write was acknowledged sees that write (or a later one)."""
    by_user = ledger.by_user()
    for read in ledger.reads:
        writes = by_user.get(read.user_id, [])
        done = [w for w in writes if w.acknowledged and w.end < read.start]
        if read.status == 200:
            if any(w.kind == "remove" for w in done):
                verdict.stale_reads.append(f"user {read.user_id} read after its removal")
            floor = max((w.version or 0 for w in done if w.kind != "remove"), default=0)
            if read.version is not None and read.version < floor:
                verdict.stale_reads.append(
                    f"user {read.user_id} read at version {read.version} after {floor} was acked"
                )
        elif read.status == 404:
            removed = any(
                w.kind == "remove" and (w.acknowledged or w.uncertain) and w.start < read.end
                for w in writes
            )
            if not removed:
                verdict.stale_reads.append(f"user {read.user_id} missing but never removed")


def check_final_state(
    ledger: Ledger, verdict: Verdict, final: dict[int, tuple[int, Attributes] | None]
) -> None:
    """`final` maps every user id the clients ever created to (version, attributes) read back
    after the run, or None when it answered 404."""
    for user_id, writes in ledger.by_user().items():
        verdict.checked_users += 1
        state = final.get(user_id)
        acked = [w for w in writes if w.acknowledged]
        versions = Counter(w.version for w in acked if w.kind != "remove")
        for version, times in versions.items():
            if times > 1:
                verdict.lost_writes.append(
                    f"user {user_id}: version {version} acknowledged {times} times (lost update)"
                )
        uncertain = [w for w in writes if w.uncertain]
        removed = any(w.kind == "remove" for w in acked)
        maybe_removed = any(w.kind == "remove" for w in uncertain)
        if removed:
            if state is not None:
                verdict.lost_writes.append(f"user {user_id}: removal acknowledged, still there")
            continue
        if state is None:
            if not maybe_removed:
                verdict.lost_writes.append(f"user {user_id}: acknowledged, now missing")
            continue
        latest = max((w for w in acked if w.version is not None), key=lambda w: w.version or 0)
        version, attributes = state
        if version < (latest.version or 0):
            verdict.lost_writes.append(
                f"user {user_id}: at version {version}, version {latest.version} was acknowledged"
            )
        elif version > (latest.version or 0) and not any(w.kind == "change" for w in uncertain):
            verdict.phantoms.append(
                f"user {user_id}: at version {version}, only {latest.version} was acknowledged"
            )
        elif version == latest.version and attributes != latest.attributes:
            verdict.lost_writes.append(
                f"user {user_id}: version {version} holds {attributes}, acked {latest.attributes}"
            )


def check_unique_names(verdict: Verdict, listed: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for resource in listed:
        key = name_key(resource["attributes"]["name"])
        if key in seen:
            verdict.duplicates.append(
                f"name {key!r} held by users {seen[key]} and {resource['id']}"
            )
        seen[key] = resource["id"]

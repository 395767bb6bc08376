"""The SQLAlchemy adapter's history and deleted users: statements over adapters.history_tables,
run through the unit of work (adapters.unit_of_work) in its transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Row, bindparam, delete, insert, select, update

from adapters.engine import storage_errors
from adapters.history_tables import deleted_users, user_changes
from adapters.sql import Execute
from domain.errors import UserNotFoundError
from domain.history import Action, AttributeChange, Change, DeletedUser
from domain.model import User

# Built once, as adapters/sql.py does: building a statement costs more than running it.
_RECORD: Final = insert(user_changes)
_ADD_DELETED: Final = insert(deleted_users)
_DELETE_RETURNING: Final = (
    delete(deleted_users)
    .where(deleted_users.c.user_id == bindparam("match_id"))
    .returning(*deleted_users.c)
)


def _utc(moment: datetime) -> datetime:
    """SQLite and MariaDB/MySQL hand back the UTC moments stored without their zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode_changed(changed: Mapping[str, AttributeChange] | None) -> str | None:
    if changed is None:
        return None
    return _json({name: [change.before, change.after] for name, change in changed.items()})


def _to_change(row: Row[Any]) -> Change:
    changed = None
    if row.changed is not None:
        changed = {name: AttributeChange(*pair) for name, pair in json.loads(row.changed).items()}
    return Change(
        row.user_id,
        row.version,
        Action(row.action),
        _utc(row.at),
        row.actor,
        row.token_id,
        changed,
        row.id,
    )


def _to_deleted(row: Row[Any]) -> DeletedUser:
    user = User(id=row.user_id, version=row.version, **json.loads(row.attributes))
    return DeletedUser(user, _utc(row.deleted_at), row.id)


class SqlChangeLog:
    def __init__(self, execute: Execute) -> None:
        self._execute = execute

    def record(self, change: Change) -> None:
        values = {
            "user_id": change.user_id,
            "version": change.version,
            "action": change.action.value,
            "at": change.at,
            "actor": change.actor or "",
            "token_id": change.token_id,
            "changed": _encode_changed(change.changed),
        }
        with storage_errors():
            self._execute(_RECORD, values)

    def history(
        self,
        user_id: int,
        *,
        limit: int,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> list[Change]:
        statement = select(user_changes).where(user_changes.c.user_id == user_id).limit(limit)
        if newer_than is not None:
            statement = statement.where(user_changes.c.id > newer_than)
            statement = statement.order_by(user_changes.c.id)
        else:
            if older_than is not None:
                statement = statement.where(user_changes.c.id < older_than)
            statement = statement.order_by(user_changes.c.id.desc())
        with storage_errors():
            rows = [_to_change(row) for row in self._execute(statement, None)]
        return rows[::-1] if newer_than is not None else rows

    def forget(self, user_ids: Collection[int]) -> None:
        statement = (
            update(user_changes).where(user_changes.c.user_id.in_(user_ids)).values(changed=None)
        )
        with storage_errors():
            self._execute(statement, None)


class SqlDeletedUsers:
    def __init__(self, execute: Execute) -> None:
        self._execute = execute

    def add(self, user: User, deleted_at: datetime) -> None:
        values = {
            "user_id": user.id,
            "version": user.version,
            "attributes": _json(user.attributes()),
            "deleted_at": deleted_at,
        }
        with storage_errors():
            self._execute(_ADD_DELETED, values)

    def take(self, user_id: int) -> DeletedUser:
        with storage_errors():
            rows = list(self._execute(_DELETE_RETURNING, {"match_id": user_id}))
        if not rows:
            raise UserNotFoundError(user_id)
        return _to_deleted(rows[0])

    def find(self, *, limit: int, older_than: int | None = None) -> list[DeletedUser]:
        statement = select(deleted_users).order_by(deleted_users.c.id.desc()).limit(limit)
        if older_than is not None:
            statement = statement.where(deleted_users.c.id < older_than)
        with storage_errors():
            return [_to_deleted(row) for row in self._execute(statement, None)]

    def purge(self, deleted_before: datetime, *, limit: int) -> list[int]:
        expired = deleted_users.c.deleted_at < deleted_before
        candidates = select(deleted_users.c.user_id).where(expired).limit(limit)
        with storage_errors():
            user_ids = [row.user_id for row in self._execute(candidates, None)]
            if not user_ids:
                return []
            # Another process purging at once may have taken some of them: the DELETE
            # returns only the rows this one removed.
            statement = (
                delete(deleted_users)
                .where(deleted_users.c.user_id.in_(user_ids), expired)
                .returning(deleted_users.c.user_id)
            )
            return [row.user_id for row in self._execute(statement, None)]

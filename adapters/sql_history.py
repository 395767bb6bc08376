"""The SQLAlchemy adapter's history (adapters.history_tables), run through the unit of work
(adapters.unit_of_work) in its transaction. A deleted user is its `deleted` change while
that change is `restorable`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, bindparam, insert, select, update

from adapters import mariadb
from adapters.engine import storage_errors
from adapters.history_tables import user_changes
from adapters.sql import Execute
from adapters.tables import as_utc
from domain.errors import UserNotFoundError
from domain.history import Action, AttributeChange, Change, DeletedUser

# Built once, as adapters/sql.py does: building a statement costs more than running it.
_RECORD: Final = insert(user_changes)
#: `WHERE restorable`, as the partial index says (so the planner matches them).
_RESTORABLE: Final = user_changes.c.restorable
_DELETED_OF_USER: Final = select(user_changes).where(
    user_changes.c.user_id == bindparam("match_id"), _RESTORABLE
)
_NOT_RESTORABLE: Final = update(user_changes).values(restorable=False)


def _encode_changed(changed: Mapping[str, AttributeChange] | None) -> str | None:
    if changed is None:
        return None
    pairs = {name: [change.before, change.after] for name, change in changed.items()}
    return json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))


def _to_change(row: Row[Any]) -> Change:
    changed = None
    if row.changed is not None:
        changed = {name: AttributeChange(*pair) for name, pair in json.loads(row.changed).items()}
    return Change(
        row.user_id,
        row.version,
        Action(row.action),
        as_utc(row.at),
        row.actor,
        row.token_id,
        changed,
        row.id,
    )


class SqlChangeLog:
    def __init__(self, execute: Execute, dialect: str) -> None:
        self._execute = execute
        self._dialect = dialect

    def _changes(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> list[Change]:
        with storage_errors():
            return [_to_change(row) for row in self._execute(statement, parameters)]

    def record(self, change: Change) -> None:
        values = {
            "user_id": change.user_id,
            "version": change.version,
            "action": change.action.value,
            "at": change.at,
            "actor": change.actor or "",
            "token_id": change.token_id,
            "changed": _encode_changed(change.changed),
            "restorable": change.action is Action.DELETED,
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
            return self._changes(statement.order_by(user_changes.c.id))[::-1]
        if older_than is not None:
            statement = statement.where(user_changes.c.id < older_than)
        return self._changes(statement.order_by(user_changes.c.id.desc()))

    def deleted(self, *, limit: int, older_than: int | None = None) -> list[DeletedUser]:
        statement = select(user_changes).where(_RESTORABLE)
        if older_than is not None:
            statement = statement.where(user_changes.c.id < older_than)
        statement = statement.order_by(user_changes.c.id.desc()).limit(limit)
        return [DeletedUser.of(change) for change in self._changes(statement)]

    def take_deleted(self, user_id: int) -> DeletedUser:
        if mariadb.is_mysql_name(self._dialect):  # no UPDATE ... RETURNING there
            found = self._changes(_DELETED_OF_USER.with_for_update(), {"match_id": user_id})
            if found:
                with storage_errors():
                    self._execute(_NOT_RESTORABLE.where(user_changes.c.id == found[0].id), None)
        else:
            statement = _NOT_RESTORABLE.where(
                user_changes.c.user_id == user_id, _RESTORABLE
            ).returning(*user_changes.c)
            found = self._changes(statement)
        if not found:
            raise UserNotFoundError(user_id)
        return DeletedUser.of(found[0])

    def purge_deleted(self, deleted_before: datetime, *, limit: int) -> list[int]:
        # Locked as they are read: a purge running at once waits here, then finds them no
        # longer restorable (PostgreSQL and MariaDB read the latest row after a lock wait;
        # SQLite has one writer at a time).
        expired = (
            select(user_changes.c.user_id)
            .where(_RESTORABLE, user_changes.c.at < deleted_before)
            .order_by(user_changes.c.id)
            .limit(limit)
            .with_for_update()
        )
        with storage_errors():
            user_ids = [row.user_id for row in self._execute(expired, None)]
            if user_ids:
                forget = _NOT_RESTORABLE.values(changed=None).where(
                    user_changes.c.user_id.in_(user_ids)
                )
                self._execute(forget, None)
        return user_ids

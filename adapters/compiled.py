"""SQLAlchemy Core statements compiled once per dialect and run on the DBAPI cursor.

The statements stay SQLAlchemy Core (tables, dialect-correct SQL, type bind processing), but
executing them through a SQLAlchemy `Connection` cost about 110 us of CPU per statement
(execution context, result proxy, events), more than the driver itself and than all of the
HTTP handling of a single-user GET (bench/, `python -m cProfile`). Here each statement is
compiled once to SQL text for its dialect, and a request binds its values and runs it on the
cursor of the pooled DBAPI connection: the pool, its connection events and the dialect's
disconnect detection are still SQLAlchemy's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from sqlalchemy import Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

#: Compiled forms kept per dialect; statements are built once (see adapters.sql), so this
#: only bounds the cost of a pathological number of list shapes.
COMPILED_KEPT: Final = 2048


_PYFORMAT_PARAMETER: Final = re.compile(r"%\((\w+)\)s")
_prepared_names = itertools.count(1)


class PreparedForm:
    """A pyformat statement as a server-side prepared statement (PostgreSQL PREPARE /
    EXECUTE): the server parses and plans it once per connection instead of per request
    (a primary-key SELECT took 63 us of the server's CPU prepared against 97 us sent whole,
    bench/). Values are sent positionally in `order`."""

    __slots__ = ("execute_sql", "name", "order", "prepare_sql")

    def __init__(self, sql: str, integers: frozenset[str]) -> None:
        self.name = f"users_service_{next(_prepared_names)}"
        positions: dict[str, int] = {}  # name -> $n, in order of first appearance

        def number(match: re.Match[str]) -> str:
            return f"${positions.setdefault(match.group(1), len(positions) + 1)}"

        # Sent without parameters, so the driver's %% escapes are undone by hand.
        body = _PYFORMAT_PARAMETER.sub(number, sql).replace("%%", "%")
        order = list(positions)
        self.order = tuple(order)
        # Integer parameters are declared bigint: inferred from `users.id = $1` they would be
        # int4, and an id or version past 2**31 (a forged cursor, an If-Match) would fail
        # instead of matching nothing. The others take their type from where they stand.
        types = ", ".join("bigint" if name in integers else "unknown" for name in order)
        # PREPARE and EXECUTE take no parentheses at all for a statement without parameters.
        declared = f"({types})" if order else ""
        placeholders = f"({', '.join(['%s'] * len(order))})" if order else ""
        self.prepare_sql = f"PREPARE {self.name}{declared} AS {body}"
        self.execute_sql = f"EXECUTE {self.name}{placeholders}"

    def values(self, parameters: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(parameters[name] for name in self.order)


class CompiledStatement:
    """SQL text in the DBAPI's parameter style, the values of its literal parameters, and
    the bind processors its column types need on this dialect."""

    __slots__ = ("defaults", "prepared", "processors", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql: str = str(compiled)
        if "POSTCOMPILE" in self.sql:
            raise ValueError("statements run here must not need expanding parameters")
        # Anonymous parameters (a literal separator, say) carry their value; named ones are
        # filled in per execution.
        self.defaults: dict[str, Any] = {}
        processors: list[tuple[str, Callable[[Any], Any]]] = []
        integers: set[str] = set()
        for bind, name in compiled.bind_names.items():
            if not bind.required:
                self.defaults[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((name, processor))
            if isinstance(bind.type, Integer):
                integers.add(name)
        self.processors = tuple(processors)
        self.prepared = (
            PreparedForm(self.sql, frozenset(integers))
            if dialect.paramstyle == "pyformat"
            else None
        )

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        bound = {**self.defaults, **values}
        for name, process in self.processors:
            if bound.get(name) is not None:
                bound[name] = process(bound[name])
        return bound


class StatementCache:
    """CompiledStatement per statement object for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle not in ("named", "pyformat"):
            # sqlite3 takes named parameters too: one mapping per call, as with psycopg2.
            dialect = cast(Any, type(dialect))(paramstyle="named")
        self._dialect = dialect
        self._compiled: dict[int, tuple[ClauseElement, CompiledStatement]] = {}

    def __call__(self, statement: ClauseElement) -> CompiledStatement:
        entry = self._compiled.get(id(statement))
        if entry is not None and entry[0] is statement:
            return entry[1]
        if len(self._compiled) >= COMPILED_KEPT:
            self._compiled.clear()
        compiled = CompiledStatement(statement, self._dialect)
        # The statement is kept with its compiled form: its id cannot be reused meanwhile.
        self._compiled[id(statement)] = (statement, compiled)
        return compiled

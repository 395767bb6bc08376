"""SQL written one way on SQLite and another on PostgreSQL, as SQLAlchemy constructs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class OnSqlite(ColumnElement[bool]):
    """One condition written one way on SQLite and another on every other database."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy declares it a list
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("other", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, sqlite: ColumnElement[bool], other: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.other = other

    def self_group(self, against: Any = None) -> ColumnElement[bool]:
        # Each form is grouped when compiled. Left to ColumnElement, a Boolean in a WHERE
        # becomes `... = 1` on SQLite, which keeps the planner from using the IN.
        return self


@compiles(OnSqlite)
def _compile(element: OnSqlite, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = element.sqlite if compiler.dialect.name == "sqlite" else element.other
    return str(compiler.process(chosen.self_group(against=operators.and_), **kw))


class ArrayOf(ColumnElement[Any]):
    """PostgreSQL's `ARRAY(SELECT ...)`: the rows of a one-column query as one array value.

    `id = ANY(ARRAY(SELECT ...))` runs the query once, before the outer scan, and then looks
    the ids up in the primary key, whatever the planner guesses of the query's size. An
    `id IN (SELECT ...)` is planned as a join, and a prepared statement's generic plan,
    which cannot see LIMIT and OFFSET values, chose a hash join over the whole table for
    it (187 ms for an offset page instead of 1 ms).
    """

    inherit_cache = True
    _traverse_internals = [("query", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, query: Select[Any]) -> None:
        self.query = query


@compiles(ArrayOf)
def _compile_array(element: ArrayOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ARRAY({compiler.process(element.query, **kw)})"

"""The one full-scan check: EXPLAIN QUERY PLAN of a statement, and the tables it would read in full without an
index. The SQL console asks before running such a statement, the table browser before such a search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tursotui.libsql import ResultSet
from tursotui.libsql.values import Args, Value
from tursotui.ops.sql.statements import (
    PlanStep,
    explain_sql,
    explainable,
    plan_steps,
    plan_text,
    unindexed_scans,
)


class Executes(Protocol):
    """What the check needs of a connection (``HranaClient`` has it)."""

    async def execute(self, sql: str, args: Args | None = None) -> ResultSet: ...


@dataclass(frozen=True)
class FullScan:
    """A statement whose plan reads ``tables`` in full; ``plan`` is the plan as a tree."""

    statement: str
    tables: tuple[str, ...]
    plan: str


async def query_plan(client: Executes, stmt: str, args: Sequence[Value] = ()) -> list[PlanStep]:
    """EXPLAIN QUERY PLAN of ``stmt`` with its bound ``args`` (the server's error propagates)."""
    result = await client.execute(explain_sql(stmt), list(args))
    return plan_steps(result.rows)


async def full_scan(client: Executes, stmt: str, args: Sequence[Value] = ()) -> FullScan | None:
    """The full table scans ``stmt`` would do, or None (none, or a statement without a query plan).

    The schema tables (``sqlite_master``/``sqlite_schema``) never count: they are small and have no index."""
    if not explainable(stmt):
        return None
    steps = await query_plan(client, stmt, args)
    tables = unindexed_scans(steps, stmt)
    if not tables:
        return None
    return FullScan(stmt, tuple(tables), plan_text(steps))

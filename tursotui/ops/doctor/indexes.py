"""Indexes for the seed's hot lookups: ``users`` by ``email``, by ``xswarm_phone`` and by
``stripe_customer_id`` (the guide's Performance Issues: "Verify indexes exist", ``EXPLAIN QUERY PLAN``).

Two round trips on one database: its ``users`` columns and the indexes that lead with each, then the plan of each
lookup (:func:`tursotui.ops.sql.scan.query_plan`, the SQL console's own check). An index is "used" when the plan
searches ``users`` with one; a ``SCAN users`` is a full table read on every lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tursotui.libsql.errors import LibsqlError
from tursotui.ops.doctor.model import Check, fail, ok, skip
from tursotui.ops.sql.scan import Executes, query_plan
from tursotui.ops.sql.statements import plan_text, unindexed_scans
from tursotui.support.xswarm import SCHEMA

TABLE = "users"
HOT_COLUMNS = ("email", "xswarm_phone", "stripe_customer_id")
COLUMNS_SQL = "SELECT name FROM pragma_table_info('users')"
INDEXES_SQL = (
    "SELECT ii.name, il.name FROM pragma_index_list('users') AS il "
    "JOIN pragma_index_info(il.name) AS ii WHERE ii.seqno = 0"
)
_USING = re.compile(r"USING (?:COVERING )?INDEX (\S+)", re.IGNORECASE)


def lookup_sql(column: str) -> str:
    return f"SELECT * FROM users WHERE {column} = ?"  # noqa: S608 (a constant column name)


def create_index_sql(column: str) -> str:
    """The seed's ``CREATE INDEX`` for ``column`` (:data:`tursotui.support.xswarm.SCHEMA`)."""
    for statement in SCHEMA:
        if statement.startswith("CREATE INDEX") and f"ON users({column})" in statement:
            return statement
    return f"CREATE INDEX IF NOT EXISTS idx_users_{column} ON users({column})"


@dataclass(frozen=True)
class Lookup:
    column: str
    indexes: tuple[str, ...]
    """Indexes of ``users`` whose first column is ``column``."""
    used: str
    """The index the plan searches with ("" when it scans)."""
    plan: str

    @property
    def problem(self) -> str:
        if not self.indexes:
            return f"users.{self.column}: no index (each lookup reads the whole table)"
        if not self.used:
            return (
                f"users.{self.column}: {', '.join(self.indexes)} present but not used (SCAN users)"
            )
        return ""


async def lookups(client: Executes) -> list[Lookup] | None:
    """The three lookups on the database ``client`` reaches; None when it has no ``users`` table."""
    columns = {str(r[0]) for r in (await client.execute(COLUMNS_SQL)).rows}
    if not columns:
        return None
    leading: dict[str, list[str]] = {}
    for column, index in (await client.execute(INDEXES_SQL)).rows:
        leading.setdefault(str(column), []).append(str(index))
    found = []
    for column in HOT_COLUMNS:
        if column not in columns:
            continue
        steps = await query_plan(client, lookup_sql(column), ["?"])
        scans = unindexed_scans(steps)
        used = "" if scans else next((m[1] for s in steps if (m := _USING.search(s.detail))), "")
        found.append(Lookup(column, tuple(leading.get(column, ())), used, plan_text(steps)))
    return found


def verdict(database: str, found: list[Lookup] | None) -> Check:
    if found is None:
        return skip(
            "indexes",
            f"{database} has no users table (the seed's schema is not applied)",
            "`tursotui setup` applies the schema and its indexes",
        )
    problems = [f.problem for f in found if f.problem]
    missing = [f.column for f in found if f.problem]
    data = {f.column: {"indexes": list(f.indexes), "used": f.used or None} for f in found}
    absent = [c for c in HOT_COLUMNS if c not in {f.column for f in found}]
    if absent:
        problems.append(f"users has no column {', '.join(absent)}")
    if problems:
        statements = "; ".join(create_index_sql(c) for c in missing)
        fix = f'`tursotui db shell {database} "{statements}"`' if statements else "`tursotui setup`"
        return fail("indexes", "; ".join(problems), fix, lookups=data)
    used = ", ".join(f"{f.column} → {f.used}" for f in found)
    return ok("indexes", f"present and used: {used}", lookups=data)


async def check(client: Executes, database: str) -> Check:
    try:
        return verdict(database, await lookups(client))
    except LibsqlError as exc:
        return fail("indexes", f"could not be read: {exc}", "see the Database token and URL checks")

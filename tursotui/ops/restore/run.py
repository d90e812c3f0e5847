"""Running a planned restore and verifying it, for the CLI and the console alike: a NEW database is
created from the source as of the time (Turso has no in-place restore), then the schema (sqlite_master)
and the row counts of every table of both are compared. The source is only ever read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tursotui.ops.access import copy_key, remote_encryption
from tursotui.ops.browse.session import SqlSession
from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.restore.plan import RestorePlan
from tursotui.ops.restore.window import utc
from tursotui.platform import Database, PlatformClient, Seed
from tursotui.platform.models import format_timestamp
from tursotui.platform.models_local import RecoveryPoint

if TYPE_CHECKING:
    from tursotui.ops.tokens import TokenLedger


@dataclass(frozen=True)
class RestoreResult:
    source: str
    timestamp: datetime
    database: Database
    point: RecoveryPoint | None = None
    """On the local Turso: the recovery point the copy was made from (from the new database's parent)."""
    key_variable: str | None = None
    """An encrypted source's copy has its key: the variable that gives it to later sessions."""

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "timestamp": format_timestamp(self.timestamp),
            "name": self.database.name,
            "group": self.database.group,
            "url": self.database.url,
            "hostname": self.database.hostname,
            "recovery_point_used": self.point.id if self.point else None,
        }


async def restore_database(
    platform: PlatformClient,
    source: str,
    timestamp: datetime,
    new_name: str,
    *,
    group: str | None = None,
) -> RestoreResult:
    """Create ``new_name`` from ``source`` as of ``timestamp`` (default group: the source's)."""
    check_name(source)
    check_name(new_name, "new database")
    if group is not None:
        check_name(group, "group")
    if new_name == source:
        raise InputError("the restored database needs a new name: a restore never overwrites")
    chosen = group
    if chosen is None:
        chosen = (await platform.get_database(source)).group
    if not chosen:
        raise InputError(f"database {source} has no group: give --group")
    # An encrypted (BYOK) source is restored only with its key: the session's, sent as remote_encryption.
    encryption = remote_encryption(platform, source)
    await platform.create_database(
        new_name,
        chosen,
        seed=Seed.restore(source, timestamp),
        remote_encryption=encryption.to_json() if encryption is not None else None,
    )
    variable = copy_key(platform, source, new_name)
    return RestoreResult(
        source, timestamp, await platform.get_database(new_name), key_variable=variable
    )


async def run_restore(platform: PlatformClient, plan: RestorePlan, new_name: str) -> RestoreResult:
    """Restore as ``plan`` says into NEW database ``new_name``; on the local Turso, the result names
    the point the server used (read back from the new database's parent)."""
    result = await restore_database(platform, plan.source, plan.moment, new_name, group=plan.group)
    if not plan.local:
        return result
    parent = result.database.parent
    branched = parent.branched if parent else None
    same = [p for p in plan.points if p.taken_at == branched]  # the last one wins a tie, as planned
    used = same[-1] if same else plan.point
    return RestoreResult(
        result.source, result.timestamp, result.database, used, key_variable=result.key_variable
    )


def used_point_note(plan: RestorePlan, result: RestoreResult) -> str | None:
    """A line when the server used another point than the plan named (a point taken meanwhile)."""
    if plan.point is None or result.point is None or result.point.id == plan.point.id:
        return None
    return (
        f"the local Turso used recovery point {result.point.id} taken "
        f"{utc(result.point.taken_at)} (planned: {plan.point.id})"
    )


@dataclass(frozen=True)
class Verification:
    schema_equal: bool
    schema_differences: tuple[str, ...]
    counts: tuple[tuple[str, int | None, int | None], ...]
    """(table, rows in the source now, rows in the restored database)."""

    @property
    def ok(self) -> bool:
        """The restored database has the source's schema (row counts may differ: rows changed since)."""
        return self.schema_equal

    def summary(self) -> str:
        if self.schema_equal:
            return "schema equal (sqlite_master of both)"
        return "schema DIFFERENT: " + "; ".join(self.schema_differences[:4])

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "schema_equal": self.schema_equal,
            "schema_differences": list(self.schema_differences),
            "row_counts": [{"table": t, "source_now": a, "restored": b} for t, a, b in self.counts],
        }


def compare(
    source_schema: list[tuple[str, str, str]],
    restored_schema: list[tuple[str, str, str]],
    source_counts: dict[str, int],
    restored_counts: dict[str, int],
) -> Verification:
    a = {(t, n): s for t, n, s in source_schema}
    b = {(t, n): s for t, n, s in restored_schema}
    diffs = [f"only in source: {t} {n}" for t, n in sorted(a.keys() - b.keys())]
    diffs += [f"only in restored: {t} {n}" for t, n in sorted(b.keys() - a.keys())]
    diffs += [f"differs: {t} {n}" for t, n in sorted(a.keys() & b.keys()) if a[(t, n)] != b[(t, n)]]
    tables = sorted(set(source_counts) | set(restored_counts))
    counts = tuple((t, source_counts.get(t), restored_counts.get(t)) for t in tables)
    return Verification(not diffs, tuple(diffs), counts)


async def verify_restore(
    platform: PlatformClient,
    source: str,
    restored: str,
    *,
    ledger: TokenLedger | None = None,
    target: str = "",
    secret: Callable[[str], None] | None = None,
) -> Verification:
    """Compare ``restored`` with ``source`` now: schema and row counts, through read-only sessions
    (their tokens go to ``secret``, to be scrubbed from output, and to ``ledger``)."""
    a = await SqlSession.open(platform, source, read_only=True, ledger=ledger, target=target)
    try:
        b = await SqlSession.open(platform, restored, read_only=True, ledger=ledger, target=target)
        try:
            if secret is not None:
                secret(a.token)
                secret(b.token)
            schema_a, schema_b = await a.schema(), await b.schema()
            counts_a = await a.row_counts([n for t, n, _ in schema_a if t == "table"])
            counts_b = await b.row_counts([n for t, n, _ in schema_b if t == "table"])
        finally:
            await b.aclose()
    finally:
        await a.aclose()
    return compare(schema_a, schema_b, counts_a, counts_b)

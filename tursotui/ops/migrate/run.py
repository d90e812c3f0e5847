"""The fleet runs both front ends use: status of every target, apply across them, the schema of each.

Per database: status and drift read with the group's read-only token (one SQL request each); apply with the
group's full-access token (two: the ledger, then the transaction). At most ``concurrency`` databases at once
over one HTTP pool; ``cancel`` (the console's esc, or ``--stop-on-error`` after a failure) starts no new
database and lets the ones in flight finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.ops.group_tokens import GroupTokens
from tursotui.ops.migrate.apply import RESULTS, Outcome, apply_pending, read_status
from tursotui.ops.migrate.files import Migration
from tursotui.ops.migrate.fleet import run_bounded
from tursotui.ops.migrate.ledger import STATES, LedgerStatus
from tursotui.ops.session_tokens import sql_client
from tursotui.platform import Database, PlatformError

T = TypeVar("T")


class SqlOn(Protocol):
    """How a run opens SQL on a database: :class:`Sql`, or the console's own opener."""

    async def on(self, db: Database, work: Callable[[HranaClient], Awaitable[T]]) -> T: ...


@dataclass
class Sql:
    """The group's token (one per group, :class:`GroupTokens`) and one HTTP pool for every database."""

    tokens: GroupTokens
    http: httpx.AsyncClient

    async def on(self, db: Database, work: Callable[[HranaClient], Awaitable[T]]) -> T:
        token = await self.tokens.token(db.group)
        async with sql_client(self.tokens.platform, db, token, http=self.http) as client:
            return await work(client)


async def fleet_status(
    sql: SqlOn,
    targets: Sequence[Database],
    migrations: Sequence[Migration],
    *,
    concurrency: int,
    finished: Callable[[Database, LedgerStatus], None] | None = None,
) -> list[LedgerStatus]:
    """Every target's ledger against the folder, in the targets' order."""

    async def one(db: Database) -> LedgerStatus:
        try:
            return await sql.on(db, lambda c: read_status(c, db, migrations))
        except (PlatformError, LibsqlError) as exc:
            return LedgerStatus(db.name, db.group, error=f"could not be reached: {exc}")

    found = await run_bounded(targets, one, concurrency, finished=finished)
    return [found[db.name] for db in targets]


def status_counts(statuses: Sequence[LedgerStatus]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(STATES, 0)
    for status in statuses:
        counts[status.state] += 1
    return counts


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    """Databases never started (cancelled, or stopped after a failure)."""
    seconds: float = 0.0
    stopped: str = ""
    """Why the run stopped early, if it did."""

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(RESULTS, 0)
        for outcome in self.outcomes:
            counts[outcome.result] += 1
        counts["not-started"] = len(self.not_started)
        return counts

    @property
    def failed(self) -> bool:
        return any(not o.ok for o in self.outcomes)

    @property
    def rate(self) -> float:
        return len(self.outcomes) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "summary": {
                **self.counts,
                "databases": len(self.outcomes) + len(self.not_started),
                "seconds": round(self.seconds, 3),
                "rate_per_second": round(self.rate, 2),
                "stopped": self.stopped or None,
            }
        }


async def fleet_apply(
    sql: SqlOn,
    targets: Sequence[Database],
    migrations: Sequence[Migration],
    *,
    concurrency: int,
    dry_run: bool = False,
    stop_on_error: bool = False,
    cancel: asyncio.Event | None = None,
    started: Callable[[Database], None] | None = None,
    finished: Callable[[Outcome], None] | None = None,
) -> ApplyReport:
    """Each target's pending migrations, each database in one transaction (see :mod:`.apply`)."""
    stop = cancel if cancel is not None else asyncio.Event()
    report = ApplyReport()
    began = time.monotonic()

    async def one(db: Database) -> Outcome:
        try:
            return await sql.on(db, lambda c: apply_pending(c, db, migrations, dry_run=dry_run))
        except (PlatformError, LibsqlError) as exc:
            return Outcome(db.name, db.group, "failed", error=f"could not be reached: {exc}")

    def done(db: Database, outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        if stop_on_error and not outcome.ok and not stop.is_set():
            report.stopped = f"stopped after {db.name} failed (--stop-on-error)"
            stop.set()
        if finished is not None:
            finished(outcome)

    ran = await run_bounded(targets, one, concurrency, cancel=stop, started=started, finished=done)
    report.not_started = [db.name for db in targets if db.name not in ran]
    if report.not_started and not report.stopped:
        report.stopped = "cancelled: the databases in flight finished, no new one was started"
    report.seconds = time.monotonic() - began
    return report

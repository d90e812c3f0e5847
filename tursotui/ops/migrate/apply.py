"""One database: read its ledger (one request), and apply its pending migrations in ONE transaction (one more).

The transaction is one Hrana batch on one stream: ``BEGIN IMMEDIATE`` (the write lock at once, so sqld's 5 s
lock timeout cannot hit half-way through), the ledger table if missing, per migration its ledger row, its
statements and the row's duration, then ``COMMIT`` — each step only if the one before succeeded, and a
``ROLLBACK`` step when ``COMMIT`` did not run. A failure anywhere leaves the database as it was (schema and
ledger), and says which file, line and statement failed with the server's error. Killed half-way, the batch
was either committed whole or not at all: a rerun reads the ledger and skips what is done."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import HranaError, LibsqlError
from tursotui.ops.migrate.files import Migration
from tursotui.ops.migrate.ledger import (
    NO_LEDGER,
    READ_LEDGER,
    LedgerStatus,
    applied_rows,
    apply_statements,
    compare,
)
from tursotui.platform import Database

Result = Literal["applied", "up-to-date", "would-apply", "refused", "failed"]
RESULTS: tuple[Result, ...] = ("applied", "up-to-date", "would-apply", "refused", "failed")
STATEMENT_CHARS = 160


@dataclass(frozen=True)
class Outcome:
    """What happened to one database."""

    database: str
    group: str
    result: Result
    migrations: tuple[int, ...] = ()
    """Applied (or, dry run, to apply)."""
    seconds: float = 0.0
    error: str = ""
    statement: str = ""
    """The failing statement (shortened), when a statement failed."""
    where: str = ""
    """``0002_add_plan.sql line 3`` when a statement of a file failed."""

    @property
    def ok(self) -> bool:
        return self.result not in ("failed", "refused")

    def describe(self) -> str:
        ids = ", ".join(f"{i:04d}" for i in self.migrations)
        if self.result == "applied":
            return f"applied {ids} in {self.seconds:.2f} s"
        if self.result == "would-apply":
            return f"would apply {ids}"
        if self.result == "up-to-date":
            return "up to date"
        if self.where:
            return f"{self.where}: {self.error} — statement: {self.statement}"
        return self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "group": self.group,
            "result": self.result,
            "migrations": list(self.migrations),
            "seconds": round(self.seconds, 3),
            "error": self.error or None,
            "statement": self.statement or None,
            "where": self.where or None,
        }


async def read_status(
    client: HranaClient, db: Database, migrations: Sequence[Migration]
) -> LedgerStatus:
    """``db``'s ledger against the folder (no ledger yet: nothing applied). Never raises for the server's
    errors: they are the status's ``error``."""
    try:
        rows = applied_rows(await client.execute(READ_LEDGER))
    except HranaError as exc:
        if NO_LEDGER not in exc.message:
            return LedgerStatus(db.name, db.group, error=f"the ledger could not be read: {exc}")
        rows = []
    except LibsqlError as exc:
        return LedgerStatus(db.name, db.group, error=f"could not be reached: {exc}")
    return compare(db.name, db.group, migrations, rows)


def _short(sql: str) -> str:
    one = " ".join(sql.split())
    return one if len(one) <= STATEMENT_CHARS else one[: STATEMENT_CHARS - 1] + "…"


def refusal(status: LedgerStatus) -> str:
    if status.changed:
        files = ", ".join(f"{i:04d}" for i in status.changed)
        return (
            f"not applied: migration {files} changed since it was applied here (checksum); restore "
            "the file as it was, or add a new migration for the change"
        )
    files = ", ".join(f"{i:04d}" for i in status.unknown)
    return (
        f"not applied: its ledger has migration {files} that this folder does not have (a newer "
        "folder applied it?); use that folder"
    )


async def apply_pending(
    client: HranaClient,
    db: Database,
    migrations: Sequence[Migration],
    *,
    dry_run: bool = False,
) -> Outcome:
    """``db``'s pending migrations in one transaction (see the module); never raises for the server."""
    started = time.monotonic()
    status = await read_status(client, db, migrations)
    if status.error:
        return Outcome(db.name, db.group, "failed", error=status.error)
    if status.state in ("changed", "unknown"):
        return Outcome(db.name, db.group, "refused", error=refusal(status))
    pending = [m for m in migrations if m.id in status.pending]
    ids = tuple(m.id for m in pending)
    if not pending:
        return Outcome(db.name, db.group, "up-to-date")
    if dry_run:
        return Outcome(db.name, db.group, "would-apply", ids)
    statements, where = apply_statements(pending)
    try:
        await client.batch(statements, transactional=True, mode="immediate")
    except HranaError as exc:
        return _failed(db, exc, statements, where, started)
    except LibsqlError as exc:
        return Outcome(
            db.name,
            db.group,
            "failed",
            seconds=time.monotonic() - started,
            error=f"could not be reached: {exc} (whether it committed is unknown: run status)",
        )
    return Outcome(db.name, db.group, "applied", ids, time.monotonic() - started)


def _failed(
    db: Database,
    exc: HranaError,
    statements: Sequence[Any],
    where: Sequence[tuple[Migration, int]],
    started: float,
) -> Outcome:
    seconds = time.monotonic() - started
    error = f"{exc.message}{f' [{exc.code}]' if exc.code else ''}; nothing was committed"
    if exc.step is None or not 0 <= exc.step < len(where):
        return Outcome(db.name, db.group, "failed", seconds=seconds, error=error)
    migration, index = where[exc.step]
    if index < 0:  # the ledger's own insert
        if "UNIQUE" in exc.message or "PRIMARY KEY" in exc.message:
            error = (
                f"its ledger already has {migration.label}: another run applied it meanwhile; "
                "nothing of this run was committed"
            )
        statement, place = statements[exc.step].sql, "the ledger"
    else:
        step = migration.steps[index]
        statement, place = step.sql, f"{migration.file} line {step.line}"
    return Outcome(
        db.name,
        db.group,
        "failed",
        seconds=seconds,
        error=error,
        statement=_short(statement),
        where=place,
    )

"""Import a SQLite file or a ``.sql`` dump into a NEW database or into an EXISTING one.

New database, as turso-cli makes one from a file (:mod:`tursotui.ops.import_dump`): in a group on AWS
the file is uploaded (``seed: database_upload`` then ``POST /v1/upload``, a dump first becoming a
scratch SQLite); elsewhere the source goes as a SQL dump (``POST …/databases/dumps``, then ``seed:
dump``). A key in ``TURSO_DB_REMOTE_ENCRYPTION_KEY_<NEW>`` makes it a BYOK-encrypted database. Either
way the new database is checked (row counts) and deleted again if anything fails or the import is
cancelled.

Existing database: conflicts (tables or views in the way, columns the table lacks, rows whose
primary key or unique key already exists) are reported before anything is written. The load
then runs in ONE interactive transaction (``BEGIN IMMEDIATE``; created tables, rows in batches,
their indexes/views/triggers; row counts checked before ``COMMIT``). That is the only way to
promise that a cancelled or failed import leaves the target unchanged: per-batch transactions
would need compensating deletes that other writers could race. The cost: the import holds the
write lock, and the server rolls the transaction back if another writer waits more than ~5 s
(nothing is written; the error says to retry when the database is quiet or to import into a
new database, which has no such limit). Cancellation lets the in-flight batch finish, then
sends ``ROLLBACK``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tursotui.libsql import HranaClient
from tursotui.libsql.keys import DEFAULT_CIPHER, RemoteEncryption
from tursotui.ops._threads import uninterrupted
from tursotui.ops.access import mint_session_token, remote_encryption, sql_client
from tursotui.ops.backup import compare_counts, source_row_counts
from tursotui.ops.errors import ImportConflictError, InputError, VerificationError
from tursotui.ops.import_conflicts import TargetSchema, find_conflicts, read_target_schema
from tursotui.ops.import_dump import method_note, new_database_method, write_dump
from tursotui.ops.import_journal import ImportJournal, Leftover, find_leftover
from tursotui.ops.import_source import ImportSource, prepare_upload_copy
from tursotui.ops.leftovers import remove_scratch, scratch_dir
from tursotui.ops.names import check_name
from tursotui.ops.tokens import TokenLedger
from tursotui.ops.upload import upload_database_file
from tursotui.platform import NotFound, PlatformClient, Seed
from tursotui.support import humanize

BATCH_ROWS = 500
BATCH_BYTES = 512 * 1024

Mode = Literal["new", "into"]
Method = Literal["upload", "dump", "transaction"]


@dataclass(frozen=True)
class ImportProgress:
    """``phase``: uploading (bytes), loading (rows), checking; ``done``/``total`` in its unit."""

    phase: str
    done: int = 0
    total: int = 0


ProgressCallback = Callable[[ImportProgress], None]


@dataclass(frozen=True)
class TablePlan:
    name: str
    rows: int
    action: Literal["create", "append"]
    target_rows: int = 0


@dataclass
class ImportPlan:
    source: ImportSource
    target: str
    mode: Mode
    method: Method
    group: str = ""
    tables: list[TablePlan] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schema: TargetSchema | None = None
    journal: ImportJournal | None = None
    """New database: where the database being created is recorded (see import_journal)."""
    leftover: Leftover | None = None
    """New database: the empty database a killed import left under the name, recreated."""
    ledger: TokenLedger | None = None
    """Where the tokens the import mints for itself are recorded (session entries)."""

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "target": self.target,
            "mode": self.mode,
            "method": self.method,
            "group": self.group or None,
            "tables": [
                {"name": t.name, "rows": t.rows, "action": t.action, "target_rows": t.target_rows}
                for t in self.tables
            ],
            "rows": self.total_rows,
            "conflicts": self.conflicts,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ImportResult:
    target: str
    mode: Mode
    method: Method
    tables: dict[str, int]
    """Rows imported per table."""
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "mode": self.mode,
            "method": self.method,
            "imported": True,
            "tables": self.tables,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
        }


def notify(progress: ProgressCallback | None, phase: str, done: int = 0, total: int = 0) -> None:
    if progress is not None:
        progress(ImportProgress(phase, done, total))


# -- planning ------------------------------------------------------------------------------------


async def choose_group(platform: PlatformClient, group: str | None) -> str:
    if group:
        return check_name(group, "group")
    groups = [g.name for g in await platform.list_groups()]
    if len(groups) == 1:
        return groups[0]
    if "default" in groups:
        return "default"
    if not groups:
        raise InputError("this organization has no group: create one first")
    raise InputError(f"give --group: this organization has groups {', '.join(sorted(groups))}")


async def plan_new(
    platform: PlatformClient,
    source: ImportSource,
    name: str,
    *,
    group: str | None = None,
    local: bool = False,
    data_dir: Path | None = None,
) -> ImportPlan:
    """Import into a new database ``name`` (``local``: the backend is the local Turso): uploaded in an
    AWS group, sent as a SQL dump elsewhere (:mod:`tursotui.ops.import_dump`).

    With ``data_dir`` the database being created is journaled there, and an empty database a
    killed import left under ``name`` is found and recreated (:mod:`import_journal`).
    """
    check_name(name, "new database")
    chosen = await choose_group(platform, group)
    method: Method = await new_database_method(platform, chosen)
    plan = ImportPlan(source, name, "new", method, group=chosen)
    plan.notes.append(method_note(method, chosen))
    encryption = remote_encryption(platform, name)
    if encryption is not None:
        plan.notes.append(
            f"{name} will be encrypted ({encryption.cipher or DEFAULT_CIPHER}) with its key"
        )
    plan.tables = [TablePlan(t.name, t.rows, "create") for t in source.tables]
    plan.notes += await _remove_scratch()
    if data_dir is not None:
        target = "local" if local else "cloud"
        organization = platform.organization or ""
        plan.journal = ImportJournal.in_data_dir(data_dir, organization=organization, target=target)
        plan.ledger = TokenLedger.in_data_dir(data_dir)
    try:
        existing = await platform.get_database(name)
    except NotFound:
        return plan
    why = ""
    if plan.journal is not None:
        plan.leftover, why = await find_leftover(platform, plan.journal, existing, plan.ledger)
    if plan.leftover is not None:
        plan.notes.append(plan.leftover.message)
    else:
        plan.conflicts.append(
            f"database {name} already exists ({why or 'use --into to add to it'})"
        )
    return plan


async def plan_into(client: HranaClient, source: ImportSource, name: str) -> ImportPlan:
    """Import into the existing database ``client`` talks to; reads it, writes nothing."""
    plan = ImportPlan(source, name, "into", "transaction")
    plan.notes += await _remove_scratch()
    schema = await read_target_schema(client, [t.name for t in source.tables])
    plan.schema = schema
    for table in source.tables:
        existing = schema.tables.get(table.name)
        action: Literal["create", "append"] = "create" if existing is None else "append"
        rows = existing.rows if existing is not None else 0
        plan.tables.append(TablePlan(table.name, table.rows, action, rows))
    plan.conflicts, plan.notes = await find_conflicts(client, source, schema)
    return plan


async def _remove_scratch() -> list[str]:
    """Scratch copies of data that killed imports and backups left in the temp directory."""
    removed = await asyncio.to_thread(remove_scratch)
    return [
        f"removed {r.path} ({humanize.size(r.size_bytes)}), left by a killed run" for r in removed
    ]


def require_no_conflicts(plan: ImportPlan) -> None:
    if plan.conflicts:
        raise ImportConflictError(
            f"nothing was imported: {len(plan.conflicts)} conflict(s) with database "
            f"{plan.target}: {plan.conflicts[0]}",
            plan.conflicts,
        )


# -- into a new database ---------------------------------------------------------------------------


async def import_new(
    platform: PlatformClient, plan: ImportPlan, *, progress: ProgressCallback | None = None
) -> ImportResult:
    """Create ``plan.target`` from the source; on any failure or cancellation it is deleted."""
    require_no_conflicts(plan)
    started = time.monotonic()
    source = plan.source
    journal = plan.journal
    if plan.leftover is not None:
        await uninterrupted(platform.delete_database(plan.target))
    entry = journal.begin(plan.target, plan.group) if journal is not None else None
    workdir = scratch_dir("upload")
    created = False
    try:
        copy: Path | None = None
        encryption = remote_encryption(platform, plan.target)
        if plan.method == "dump":
            dump = await uninterrupted(
                asyncio.to_thread(write_dump, source, workdir / "import.sql")
            )
            seed = Seed.dump(await platform.upload_dump(dump))
        else:
            copy = await uninterrupted(
                asyncio.to_thread(prepare_upload_copy, source.database, workdir)
            )
            seed = Seed.upload()
        # Cancelled while the create is in flight: let it finish, so a database it made is known
        # (and deleted below) instead of left behind.
        wanted = None
        if encryption is not None:
            wanted = RemoteEncryption(encryption.key, encryption.cipher or DEFAULT_CIPHER)
        create = asyncio.ensure_future(
            platform.create_database(
                plan.target,
                plan.group,
                seed=seed,
                remote_encryption=wanted.to_json() if wanted is not None else None,
            )
        )
        try:
            await uninterrupted(create)
        finally:
            created = create.done() and not create.cancelled() and create.exception() is None
        database = await platform.get_database(plan.target)
        if journal is not None and entry is not None:
            journal.created(entry, database.db_id)
        token = await mint_session_token(
            platform, database, read_only=False, ledger=plan.ledger, target=_target(plan)
        )
        if copy is not None:
            await upload_database_file(
                database.http_url,
                token,
                copy,
                lambda n, t: notify(progress, "uploading", n, t),
                headers=wanted.upload_headers() if wanted is not None else None,
            )
        notify(progress, "checking", plan.total_rows, plan.total_rows)
        async with sql_client(platform, database, token) as client:
            counts = await source_row_counts(client)
        expected = {t.name: t.rows for t in source.tables}
        differences = compare_counts(expected, counts)
        if differences:
            raise VerificationError(
                f"the new database does not match the source: {'; '.join(differences[:3])}"
            )
    except BaseException:
        if created:
            with contextlib.suppress(Exception):
                await uninterrupted(platform.delete_database(plan.target))
                created = False
        if journal is not None and not created:
            journal.end(plan.target)  # else kept: a retry finds the database and recreates it
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if journal is not None:
        journal.end(plan.target)
    return ImportResult(plan.target, "new", plan.method, expected, time.monotonic() - started)


def _target(plan: ImportPlan) -> str:
    return plan.journal.target if plan.journal is not None else ""

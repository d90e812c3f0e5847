"""``tursotui backup [DATABASE] [--format sql|db] [--dir DIR] [--list] [--no-prune]``.

The xSwarm guide's cron line (``turso db dump xswarm-users > backup.sql``), but verified:
``0 2 * * * tursotui backup``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tursotui.cli.context import OK, Context, run
from tursotui.ops.access import open_database
from tursotui.ops.backup import BackupProgress, backup_database, prepare_directory
from tursotui.ops.backups import (
    BackupFormat,
    list_backups,
    next_backup_path,
    prune_backups,
    remove_leftovers,
)
from tursotui.ops.tokens import TokenLedger
from tursotui.support.humanize import human_age, size


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.description = (
        "Dump DATABASE (default [turso] database_name) into the backups folder, verify it "
        "(integrity_check and row counts against the database) and prune backups older "
        "than [turso.backup] retention_days. Cron: 0 2 * * * tursotui backup"
    )
    parser.add_argument("database", metavar="DATABASE", nargs="?")
    parser.add_argument("--format", choices=("sql", "db"), default="sql", help="default sql")
    parser.add_argument("--dir", metavar="DIR", help="backups folder ([turso.backup] directory)")
    parser.add_argument("--list", action="store_true", help="list the backups folder and stop")
    parser.add_argument("--no-prune", action="store_true", help="keep backups past retention")


def _ledger(ctx: Context) -> TokenLedger:
    return TokenLedger.in_data_dir(ctx.settings.data_dir)


def _directory(ctx: Context) -> Path:
    return Path(ctx.args.dir).expanduser() if ctx.args.dir else ctx.settings.backup_directory


async def _list(ctx: Context) -> int:
    directory = _directory(ctx)
    remove_leftovers(directory, ctx.info)
    now = datetime.now(UTC)
    backups = list_backups(directory)
    ctx.emit({"directory": str(directory), "backups": [b.to_json(now) for b in backups]})
    if not backups:
        ctx.out(f"no backups in {directory}")
        return OK
    ctx.out(f"backups in {directory}")
    ctx.table(
        ["FILE", "DATABASE", "SIZE", "AGE"],
        ([b.path.name, b.database, size(b.size_bytes), human_age(b.age(now))] for b in backups),
    )
    return OK


def _show_progress(ctx: Context) -> Callable[[BackupProgress], None]:
    def show(p: BackupProgress) -> None:
        if p.phase == "verifying" and p.total:
            ctx.progress(f"verifying {100 * p.done // p.total}% of {size(p.total)}")
        elif p.phase == "dumping":
            ctx.progress(f"dumping {size(p.done)}")
        else:
            ctx.progress(p.phase)

    return show


async def _backup(ctx: Context) -> int:
    if ctx.args.list:
        return await _list(ctx)
    database = ctx.database_name(ctx.args.database)
    fmt: BackupFormat = "db" if ctx.args.format == "db" else "sql"
    directory = _directory(ctx)
    prepare_directory(directory)
    remove_leftovers(directory, ctx.info)
    retention = ctx.settings.config.turso.backup.retention_days
    async with (
        ctx.backend() as backend,
        open_database(
            backend.platform, database, read_only=True, ledger=_ledger(ctx), target=backend.target
        ) as access,
    ):
        ctx.add_secret(access.token)
        target = next_backup_path(directory, database, fmt)
        result = await backup_database(
            access.client,
            target,
            database=database,
            fmt=fmt,
            progress=_show_progress(ctx),
        )
    ctx.end_progress()
    pruned = [] if ctx.args.no_prune else prune_backups(directory, retention, database=database)
    ctx.emit(
        result.to_json() | {"retention_days": retention, "pruned": [str(b.path) for b in pruned]}
    )
    ctx.out(f"backup    {result.path} ({size(result.size_bytes)})")
    counts = ", ".join(f"{t} {n:,}" for t, n in sorted(result.tables.items())) or "no tables"
    ctx.out(
        f"verified  integrity ok; {len(result.tables)} tables, {result.rows:,} rows match "
        f"the database ({counts})"
    )
    if result.vector_indexes:
        ctx.out(f"vectors   {', '.join(result.vector_indexes)}: vector_top_k answers in the backup")
    for note in result.notes:
        ctx.out(f"note      {note}")
    if result.source_changed:
        ctx.out("note      the database changed during the backup; the dump matched one moment")
    if pruned:
        ctx.out(f"pruned    {len(pruned)} backup(s) of {database} older than {retention} days")
    ctx.out(f"took      {result.seconds:.1f} s")
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _backup)

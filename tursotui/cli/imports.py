"""``tursotui import FILE (--new NAME | --into NAME) [--group G] [--dry-run] [--yes]``.

The xSwarm guide's "Migration from SQLite" (``sqlite3 old.db .dump > data.sql`` then
``turso db shell db < data.sql``), with a preview, conflict checks and verified row counts.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from tursotui.cli.context import OK, Context, run
from tursotui.ops.access import open_database
from tursotui.ops.import_into import import_into
from tursotui.ops.import_source import ImportSource, open_source
from tursotui.ops.importer import (
    ImportPlan,
    ImportProgress,
    import_new,
    plan_into,
    plan_new,
    require_no_conflicts,
)
from tursotui.ops.names import check_name
from tursotui.ops.tokens import TokenLedger
from tursotui.support.humanize import size


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.description = (
        "Preview, check conflicts, then import FILE (SQLite database or SQL dump). A new database is "
        "uploaded in a group on AWS and seeded from a SQL dump elsewhere, as turso-cli does; with "
        "TURSO_DB_REMOTE_ENCRYPTION_KEY_<NEW> (and TURSO_DB_REMOTE_ENCRYPTION_CIPHER_<NEW>, default aes256gcm) in the "
        "environment or .env it is created encrypted (BYOK)."
    )
    parser.add_argument("file", metavar="FILE")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--new", metavar="NAME", help="create database NAME from FILE")
    where.add_argument("--into", metavar="NAME", help="add FILE's tables and rows to database NAME")
    parser.add_argument("--group", metavar="G", help="group of a new database")
    parser.add_argument("--dry-run", action="store_true", help="preview and conflicts only")


def _preview(ctx: Context, plan: ImportPlan) -> None:
    source = plan.source
    kind = "SQLite database" if source.kind == "sqlite" else "SQL dump"
    where = "new database" if plan.mode == "new" else "existing database"
    ctx.out(f"import {source.path} ({kind}, {size(source.size_bytes)})")
    ctx.out(f"into   {where} {plan.target}" + (f" (group {plan.group})" if plan.group else ""))
    ctx.out(f"via    {_method(plan)}")
    ctx.out("")
    ctx.table(
        ["TABLE", "ROWS", "ACTION", "ROWS NOW"],
        (
            [t.name, f"{t.rows:,}", t.action, f"{t.target_rows:,}" if t.action == "append" else "-"]
            for t in plan.tables
        ),
    )
    ctx.out(f"total  {plan.total_rows:,} rows in {len(plan.tables)} tables")
    for note in plan.notes:
        ctx.out(f"note   {note}")
    for conflict in plan.conflicts:
        ctx.out(f"CONFLICT  {conflict}")


def _method(plan: ImportPlan) -> str:
    if plan.method == "upload":
        return "upload of a SQLite file (atomic: the database appears complete or not at all)"
    if plan.method == "dump":
        return "a SQL dump the new database is seeded from (atomic: complete or not at all)"
    return "one transaction (all or nothing; cancel rolls back)"


def _show_progress(ctx: Context) -> Callable[[ImportProgress], None]:
    def show(p: ImportProgress) -> None:
        if p.phase == "uploading" and p.total:
            ctx.progress(f"uploading {100 * p.done // p.total}% of {size(p.total)}")
        elif p.phase == "loading" and p.total:
            ctx.progress(f"loading {p.done:,}/{p.total:,} rows ({100 * p.done // p.total}%)")
        else:
            ctx.progress(p.phase)

    return show


async def _run_import(ctx: Context, source: ImportSource) -> int:
    args = ctx.args
    async with ctx.backend() as backend:
        platform = backend.platform
        if args.new:
            plan = await plan_new(
                platform,
                source,
                args.new,
                group=args.group,
                local=backend.is_local,
                data_dir=ctx.settings.data_dir,
            )
            _preview(ctx, plan)
            require_no_conflicts(plan)
            if args.dry_run:
                ctx.emit(plan.to_json() | {"imported": False, "dry_run": True})
                return OK
            ctx.confirm(f"create database {plan.target} with {plan.total_rows:,} rows")
            result = await import_new(platform, plan, progress=_show_progress(ctx))
        else:
            ledger = TokenLedger.in_data_dir(ctx.settings.data_dir)
            async with open_database(
                platform, args.into, ledger=ledger, target=backend.target
            ) as access:
                ctx.add_secret(access.token)
                plan = await plan_into(access.client, source, args.into)
                _preview(ctx, plan)
                require_no_conflicts(plan)
                if args.dry_run:
                    ctx.emit(plan.to_json() | {"imported": False, "dry_run": True})
                    return OK
                ctx.confirm(f"write {plan.total_rows:,} rows into database {plan.target}")
                result = await import_into(access.client, plan, progress=_show_progress(ctx))
    ctx.end_progress()
    ctx.emit(plan.to_json() | result.to_json())
    ctx.out("")
    ctx.out(
        f"imported {result.rows:,} rows into {result.target} in {result.seconds:.1f} s; "
        "row counts verified"
    )
    return OK


def _path(text: str) -> Path:
    return Path(text).expanduser()


async def _import(ctx: Context) -> int:
    args = ctx.args
    if args.new:
        check_name(args.new, "new database")
    else:
        check_name(args.into)
    if args.group:
        check_name(args.group, "group")
    source = await open_source(
        _path(args.file), progress=lambda n: ctx.progress(f"reading {size(n)}")
    )
    ctx.end_progress()
    with source:
        return await _run_import(ctx, source)


def main(args: argparse.Namespace) -> int:
    return run(args, _import)

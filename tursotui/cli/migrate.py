"""``tursotui migrate status|apply|drift``: numbered SQL migrations across every tenant database (issue 16).

Every command takes ``--dir DIR`` (default: ``[tursotui] migrations_dir``), ``--group G`` and ``--filter TEXT``
(the fleet filter: words, ``group:``, ``name:``, ``location:``, ``-word``), ``--concurrency N``. ``status`` and
``apply --json`` print one JSON line per database and a ``{"summary": …}`` line. Exit codes: 0 done; 1 a
database failed, was refused, drifted or could not be read (status: changed, unknown or unreadable); 2 bad
input (a file name, a gap, a flag) before anything is contacted."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from tursotui.cli.context import FAILED, OK, Context, run
from tursotui.ops.errors import InputError
from tursotui.ops.group_tokens import GroupTokens, sql_pool
from tursotui.ops.migrate.apply import Outcome
from tursotui.ops.migrate.canary import run_canary
from tursotui.ops.migrate.drift import fleet_drift
from tursotui.ops.migrate.files import Migration, load_migrations
from tursotui.ops.migrate.fleet import (
    DEFAULT_CONCURRENCY,
    Rate,
    check_concurrency,
    list_targets,
)
from tursotui.ops.migrate.ledger import LedgerStatus
from tursotui.ops.migrate.run import Sql, fleet_apply, fleet_status, status_counts
from tursotui.ops.migrate.schema import expected_schema
from tursotui.ops.names import check_name
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import Database

SHOWN_NAMES = 10


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n", 1)[1].replace("``", "") if __doc__ else None
    actions = parser.add_subparsers(dest="migrate_command", metavar="ACTION", required=True)
    status = actions.add_parser(
        "status", parents=[common], help="per database: applied, pending, changed since applied"
    )
    apply = actions.add_parser(
        "apply", parents=[common], help="apply pending migrations, one transaction per database"
    )
    drift = actions.add_parser(
        "drift", parents=[common], help="databases grouped by schema, and how each differs"
    )
    for sub in (status, apply, drift):
        sub.add_argument("--dir", metavar="DIR", help="default: [tursotui] migrations_dir")
        sub.add_argument("--group", metavar="G", help="only this group's databases")
        sub.add_argument("--filter", default="", metavar="TEXT", help="the fleet filter")
        sub.add_argument(
            "--concurrency",
            type=int,
            default=DEFAULT_CONCURRENCY,
            metavar="N",
            help=f"databases at once, 1 to 64 (default {DEFAULT_CONCURRENCY})",
        )
    apply.add_argument(
        "--dry-run", action="store_true", help="say what would be applied, apply nothing"
    )
    apply.add_argument(
        "--stop-on-error", action="store_true", help="start no new database after a failure"
    )
    apply.add_argument(
        "--canary",
        metavar="NAME",
        help="first branch NAME, apply there, verify, delete the branch; go on only if it passed",
    )


def migrations_folder(ctx: Context) -> Path:
    """``--dir``, else ``[tursotui] migrations_dir`` (relative: from config.toml's folder)."""
    given = ctx.args.dir
    if given:
        return Path(given).expanduser()
    configured = ctx.settings.config.tursotui.migrations_dir
    if configured is None:
        raise InputError(
            "no migrations folder: give --dir DIR or set [tursotui] migrations_dir in "
            f"{ctx.settings.config_path}"
        )
    return configured if configured.is_absolute() else ctx.settings.config_path.parent / configured


def _inputs(ctx: Context) -> tuple[list[Migration], str | None]:
    args = ctx.args
    check_concurrency(args.concurrency)
    group = check_name(args.group, "group") if args.group else None
    migrations = load_migrations(migrations_folder(ctx))
    if getattr(args, "canary", None):
        check_name(args.canary, "canary database")
    return migrations, group


def _line(ctx: Context, body: dict[str, Any]) -> None:
    ctx.stdout.write(ctx.scrub(json.dumps(body, sort_keys=True, default=str)) + "\n")
    ctx.stdout.flush()


def _tokens(ctx: Context, platform: Any, authorization: Any) -> GroupTokens:
    ledger = TokenLedger.in_data_dir(ctx.settings.data_dir)
    return GroupTokens(platform, authorization, ledger, ctx.settings.target)


def _names(names: list[str]) -> str:
    more = len(names) - SHOWN_NAMES
    return ", ".join(names[:SHOWN_NAMES]) + (f" … and {more} more" if more > 0 else "")


async def _status(ctx: Context) -> int:
    migrations, group = _inputs(ctx)
    async with ctx.backend() as backend:
        targets = await list_targets(backend.platform, group=group, filter_text=ctx.args.filter)
        rate = Rate(len(targets))

        def seen(db: Database, status: LedgerStatus) -> None:
            rate.done += 1
            ctx.progress(f"read {rate.done} of {rate.total} ledgers")
            if ctx.json:
                _line(ctx, status.to_json())

        async with sql_pool() as http:
            sql = Sql(_tokens(ctx, backend.platform, "read-only"), http)
            statuses = await fleet_status(
                sql, targets, migrations, concurrency=ctx.args.concurrency, finished=seen
            )
    ctx.end_progress()
    counts = status_counts(statuses)
    if ctx.json:
        _line(
            ctx, {"summary": {**counts, "databases": len(statuses), "migrations": len(migrations)}}
        )
    else:
        ctx.table(
            ["DATABASE", "GROUP", "STATE", "DETAIL"],
            ([s.database, s.group, s.state, s.describe()] for s in statuses),
        )
        ctx.out("")
        ctx.out(_counts_line(len(migrations), counts))
    bad = counts["changed"] + counts["unknown"] + counts["out-of-order"] + counts["error"]
    return FAILED if bad else OK


def _counts_line(migrations: int, counts: dict[str, int]) -> str:
    shown = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    return f"{migrations} migration{'s' if migrations != 1 else ''} in the folder; databases: {shown or 'none'}"


async def _apply(ctx: Context) -> int:
    migrations, group = _inputs(ctx)
    args = ctx.args
    if ctx.settings.read_only and not args.dry_run:
        raise InputError(
            "read-only session (--read-only / [tursotui] read_only): nothing is applied"
        )
    if not migrations:
        raise InputError(f"no migrations in {migrations_folder(ctx)}: nothing to apply")
    expected = expected_schema(migrations) if args.canary else []
    async with ctx.backend() as backend:
        targets = await list_targets(backend.platform, group=group, filter_text=args.filter)
        if not targets:
            ctx.out("no database matches: nothing to do")
            if ctx.json:
                _line(ctx, {"summary": {"databases": 0}})
            return OK
        if not args.dry_run:
            count = len(targets)
            ctx.confirm(
                f"apply up to {len(migrations)} migrations to {count} databases", typed=str(count)
            )
        async with sql_pool() as http:
            sql = Sql(_tokens(ctx, backend.platform, "full-access"), http)
            if args.canary and args.dry_run:
                ctx.info("tursotui: --dry-run: the canary is not branched (nothing is written)")
            if args.canary and not args.dry_run:
                canary = await run_canary(backend.platform, sql, args.canary, migrations, expected)
                if ctx.json:
                    _line(ctx, canary.to_json())
                for text in canary.lines():
                    ctx.out(text)
                if not canary.passed:
                    return FAILED
            report = await _run_apply(ctx, sql, targets, migrations)
    ctx.end_progress()
    if ctx.json:
        _line(ctx, report.summary())
    else:
        counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
        ctx.out(
            f"{len(report.outcomes)} of {len(targets)} databases in {report.seconds:.1f} s "
            f"({report.rate:.1f}/s): {counts}"
        )
        if report.stopped:
            ctx.out(report.stopped)
            ctx.out(f"not started: {_names(report.not_started)}")
    return FAILED if report.failed or report.not_started else OK


async def _run_apply(
    ctx: Context, sql: Sql, targets: list[Database], migrations: list[Migration]
) -> Any:
    rate = Rate(len(targets))
    failed = 0

    def finished(outcome: Outcome) -> None:
        nonlocal failed
        rate.done += 1
        failed += 0 if outcome.ok else 1
        if ctx.json:
            _line(ctx, outcome.to_json())
        elif not outcome.ok or ctx.args.dry_run:
            ctx.end_progress()
            ctx.out(f"{outcome.result:<11} {outcome.database}: {outcome.describe()}")
        ctx.progress(
            f"{rate.done} of {rate.total} databases, {failed} failed, {rate.per_second():.1f}/s"
        )

    return await fleet_apply(
        sql,
        targets,
        migrations,
        concurrency=ctx.args.concurrency,
        dry_run=ctx.args.dry_run,
        stop_on_error=ctx.args.stop_on_error,
        cancel=asyncio.Event(),
        finished=finished,
    )


async def _drift(ctx: Context) -> int:
    migrations, group = _inputs(ctx)
    async with ctx.backend() as backend:
        targets = await list_targets(backend.platform, group=group, filter_text=ctx.args.filter)
        rate = Rate(len(targets))

        def seen(db: Database, found: object) -> None:
            rate.done += 1
            ctx.progress(f"read {rate.done} of {rate.total} schemas")

        async with sql_pool() as http:
            sql = Sql(_tokens(ctx, backend.platform, "read-only"), http)
            report = await fleet_drift(
                sql, targets, migrations, concurrency=ctx.args.concurrency, finished=seen
            )
    ctx.end_progress()
    ctx.emit(report.to_json())
    ctx.out(f"expected schema {report.expected_fingerprint} ({len(migrations)} migrations)")
    for found in report.groups:
        mark = "expected" if found.expected else "DRIFTED"
        ctx.out(
            f"{found.fingerprint}  {len(found.databases):>6}  {mark:<8}  {_names(list(found.databases))}"
        )
        for line in found.diff:
            ctx.out(f"    {line}")
    for name, error in sorted(report.errors.items()):
        ctx.out(f"unreadable  {name}: {error}")
    ctx.out("")
    drifted = report.drifted
    ctx.out(
        "no drift: every database has the expected schema"
        if report.clean
        else f"{len(drifted)} drifted, {len(report.errors)} unreadable"
    )
    return OK if report.clean else FAILED


def main(args: argparse.Namespace) -> int:
    body = {"status": _status, "apply": _apply, "drift": _drift}[args.migrate_command]
    return run(args, body)

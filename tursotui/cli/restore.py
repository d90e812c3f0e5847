"""``tursotui restore SOURCE --timestamp T --name NEW [--group G] [--yes]`` and
``tursotui restore SOURCE --list-points``.

The same core as the console's wizard (``ops.restore``): the time is read and checked against the
window and the database's age before anything is asked or created (bad input: exit 2), the recovery
point the local Turso will use is named, and after the restore both databases are compared (schema
and row counts); a restore that does not verify exits 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tursotui.cli.context import FAILED, OK, Context, run
from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.restore import (
    ACCEPTED,
    Verification,
    gather_window,
    plan_restore,
    read_restore_time,
    run_restore,
    used_point_note,
    verify_restore,
)
from tursotui.ops.tokens import TokenLedger
from tursotui.platform.models import format_timestamp
from tursotui.support.humanize import size


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.description = (
        "Restore SOURCE as it was at a moment into a new database (never in place): the time is "
        "checked against the plan's window first, the recovery point used is named (local Turso), "
        "and the copy is verified (schema and row counts) afterwards. An encrypted (BYOK) SOURCE is "
        "restored with its key, from TURSO_DB_REMOTE_ENCRYPTION_KEY_<SOURCE> (or "
        "TURSO_DB_REMOTE_ENCRYPTION_KEY for the configured database) in the environment or .env."
    )
    parser.add_argument("source", metavar="SOURCE", help="the database to restore from")
    parser.add_argument(
        "--timestamp",
        "-t",
        metavar="T",
        help="a local time ('2026-12-05 02:59', '02:59' today, 'yesterday 14:30'), RFC 3339 with "
        "a zone (2026-12-05T01:59:00Z) or relative ('10 min ago', '2h ago')",
    )
    parser.add_argument("--name", metavar="NEW", help="the new database's name")
    parser.add_argument(
        "--group", metavar="G", help="group of the new database (default: the source's)"
    )
    parser.add_argument(
        "--list-points",
        action="store_true",
        help="list the recovery points SOURCE can be restored from (local Turso) and stop",
    )


def _args(ctx: Context) -> tuple[str, str, str, str | None]:
    args = ctx.args
    source = check_name(args.source, "source database")
    if args.list_points:
        if args.timestamp or args.name:
            raise InputError(
                "--list-points lists and restores nothing: leave out --timestamp and --name"
            )
        return source, "", "", None
    if not args.timestamp or not args.name:
        missing = " and ".join(
            f for f, v in (("--timestamp T", args.timestamp), ("--name NEW", args.name)) if not v
        )
        raise InputError(f"restore needs {missing} (or --list-points); for T, {ACCEPTED}")
    new_name = check_name(args.name, "new database")
    group = check_name(args.group, "group") if args.group else None
    return source, args.timestamp, new_name, group


async def _restore(ctx: Context) -> int:
    source, text, new_name, group = _args(ctx)
    if ctx.args.list_points:
        return await _list_points(ctx, source)
    when = read_restore_time(text)  # bad input is refused before anything is contacted
    if new_name == source:
        raise InputError("the restored database needs a new name: a restore never overwrites")
    async with ctx.backend() as backend:
        local = backend.is_local
        plan = await plan_restore(
            backend.platform,
            source,
            when,
            local=local,
            now=datetime.now(UTC),
            group=group,
            new_name=new_name,
        )
        if ctx.yes or sys.stdin.isatty():  # refused without --yes off a terminal: one line says so
            for line in plan.lines():
                ctx.info(line)
        ctx.confirm(f"create database {new_name} from {source} as of {plan.when.describe()}")
        result = await run_restore(backend.platform, plan, new_name)
        note = used_point_note(plan, result)
        if note:
            ctx.info(note)
        verification = await verify_restore(
            backend.platform,
            source,
            new_name,
            ledger=TokenLedger.in_data_dir(ctx.settings.data_dir),
            target=backend.target,
            secret=ctx.add_secret,
        )
    data = {**plan.to_json(), **result.to_json(), "verification": verification.to_json()}
    db = result.database
    if not verification.ok:
        ctx.out(
            f"restored {source} into NEW database {db.name} ({db.url}), but it does not verify:"
        )
        _report(ctx, source, new_name, verification)
        return ctx.fail(
            f"verification failed: {db.name} {verification.summary()} (compared with {source} "
            f"now; expected only if {source}'s schema changed after the time asked)",
            FAILED,
            data,
        )
    ctx.emit(data)
    ctx.out(f"restored {source} as of {plan.when.describe()} into NEW database {db.name}")
    ctx.out(f"url    {db.url}")
    ctx.out(f"group  {db.group}")
    _report(ctx, source, new_name, verification)
    if result.key_variable:
        ctx.info(
            f"{db.name} is encrypted with {source}'s key: set {result.key_variable} to it (in the "
            "environment or .env) to reach it later"
        )
    ctx.info(
        f"{source} is unchanged. To use the restored copy, mint a token "
        f"(tursotui token create {db.name} --write-env) and set [turso] database_url = "
        f'"{db.url}" in {ctx.settings.config_path}.'
    )
    return OK


def _report(ctx: Context, source: str, new_name: str, verification: Verification) -> None:
    ctx.out(f"verify {verification.summary()}; row counts, {source} now vs {new_name}:")
    ctx.table(
        ["table", f"{source} (now)", new_name, ""],
        [
            [
                t,
                "-" if a is None else f"{a:,}",
                "-" if b is None else f"{b:,}",
                "=" if a == b else "differs",
            ]
            for t, a, b in verification.counts
        ],
    )


async def _list_points(ctx: Context, source: str) -> int:
    async with ctx.backend() as backend:
        local = backend.is_local
        _, window, points = await gather_window(backend.platform, source, local=local)
    now = datetime.now(UTC)
    if not local:
        message = (
            "Turso Cloud keeps no listable points: any time within the plan's window "
            f"({window.length()}, {window.source})"
        )
        if window.retention is None:
            message += ": Turso Cloud judges the time"
    else:
        message = f"{len(points)} recovery point(s) of {source}; window {window.describe()}"
    ctx.emit(
        {
            "source": source,
            "target": "local" if local else "cloud",
            "window": window.to_json(now),
            "recovery_points": [
                {
                    "id": p.id,
                    "taken_at": format_timestamp(p.taken_at),
                    "size_bytes": p.size_bytes,
                    "reason": p.reason,
                }
                for p in points
            ],
            "message": message,
        }
    )
    ctx.out(message)
    if points:
        ctx.table(
            ["id", "taken (UTC)", "local", "size", "reason"],
            [
                [
                    p.id,
                    f"{p.taken_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
                    f"{p.taken_at.astimezone():%Y-%m-%d %H:%M:%S %Z}",
                    size(p.size_bytes),
                    p.reason,
                ]
                for p in reversed(points)
            ],
        )
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _restore)

"""``tursotui db branch SOURCE NEW [--timestamp T] [--group G]``: a NEW database copied from SOURCE, now or as
of a moment, as ``turso db branch`` (one core with the console: ``tursotui.ops.branch``). Bad input exits 2
before anything is contacted or created; the copy is verified (schema and row counts) like a restore's."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tursotui.cli.context import FAILED, OK, Context
from tursotui.libsql.keys import KEY_VARIABLE
from tursotui.ops.names import check_name


def add_arguments(actions: Any, common: argparse.ArgumentParser) -> None:
    branch = actions.add_parser(
        "branch",
        parents=[common],
        help="a new database copied from another, now or as of a moment (turso db branch)",
        description=(
            "Create NEW from SOURCE as it is now, or as it was at --timestamp (checked against the "
            "plan's window first), in SOURCE's group unless --group says another. SOURCE is only read. "
            f"An encrypted (BYOK) SOURCE is branched with its key, from {KEY_VARIABLE}_<SOURCE> (or "
            f"{KEY_VARIABLE} for the configured database) in the environment or .env."
        ),
    )
    branch.add_argument("source", metavar="SOURCE", help="the database to branch from")
    branch.add_argument("new", metavar="NEW", help="the new database's name")

    def declare_rest() -> None:
        # When argparse reaches `db branch`: the help of --timestamp names the times ops.restore accepts.
        from tursotui.ops.restore.times import ACCEPTED

        branch.add_argument(
            "--timestamp", "-t", metavar="T", help=f"copy SOURCE as it was then; {ACCEPTED}"
        )
        branch.add_argument("--group", metavar="G", help="group of the branch (default: SOURCE's)")

    actions.pending["branch"] = declare_rest


async def branch_command(ctx: Context) -> int:
    # Imported here: every `db` action declares its arguments, and `db list` needs none of this.
    from tursotui.ops.branch import check_branch_name, plan_branch, run_branch
    from tursotui.ops.restore import read_restore_time, verify_restore
    from tursotui.ops.tokens import TokenLedger

    args = ctx.args
    source = check_name(args.source, "source database")
    name = check_branch_name(source, args.new)
    group = check_name(args.group, "group") if args.group else None
    when = (
        read_restore_time(args.timestamp) if args.timestamp else None
    )  # exit 2 before any request
    async with ctx.backend() as backend:
        plan = await plan_branch(
            backend.platform, source, name, when=when, group=group, local=backend.is_local
        )
        if ctx.yes or sys.stdin.isatty():
            for line in plan.lines():
                ctx.info(line)
        moment = plan.restore.when.describe() if plan.restore else "now"
        ctx.confirm(f"create database {name} from {source} as of {moment}")
        result = await run_branch(backend.platform, plan)
        verification = await verify_restore(
            backend.platform,
            source,
            name,
            ledger=TokenLedger.in_data_dir(ctx.settings.data_dir),
            target=backend.target,
            secret=ctx.add_secret,
        )
    data = {**result.to_json(), "verification": verification.to_json()}
    db = result.database
    if not verification.ok:
        return ctx.fail(
            f"branched {source} into {name}, but it does not verify: {verification.summary()}",
            FAILED,
            data,
        )
    ctx.emit(data)
    ctx.out(f"branched {source} ({moment}) into NEW database {name}")
    ctx.out(f"url    {db.url}")
    ctx.out(f"group  {db.group}")
    ctx.out(f"verify {verification.summary()}")
    if result.key_variable:
        ctx.info(
            f"{name} is encrypted with {source}'s key: set {result.key_variable} to it (in the "
            "environment or .env) to reach it later"
        )
    ctx.info(f"{source} is unchanged. A token for the branch: tursotui token create {name}")
    return OK

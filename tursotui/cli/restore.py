"""``tursotui restore SOURCE --timestamp T --name NEW [--group G] [--yes]``."""

from __future__ import annotations

import argparse

from tursotui.cli.context import OK, Context, run
from tursotui.ops.names import check_name
from tursotui.ops.restore import parse_restore_time, restore_database
from tursotui.platform.models import format_timestamp


async def _restore(ctx: Context) -> int:
    args = ctx.args
    source = check_name(args.source, "source database")
    new_name = check_name(args.name, "new database")
    group = check_name(args.group, "group") if args.group else None
    when = parse_restore_time(args.timestamp)
    ctx.confirm(f"create database {new_name} from {source} as of {format_timestamp(when)}")
    async with ctx.backend() as backend:
        result = await restore_database(backend.platform, source, when, new_name, group=group)
    ctx.emit(result.to_json())
    db = result.database
    ctx.out(f"restored {source} as of {format_timestamp(when)} into NEW database {db.name}")
    ctx.out(f"url    {db.url}")
    ctx.out(f"group  {db.group}")
    ctx.info(
        f"{source} is unchanged. To use the restored copy, mint a token "
        f"(tursotui token create {db.name} --write-env) and set [turso] database_url = "
        f'"{db.url}" in {ctx.settings.config_path}.'
    )
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _restore)

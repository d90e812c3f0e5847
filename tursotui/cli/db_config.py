"""``tursotui db config NAME [--delete-protection on|off] [--size-limit 1gb] [--allow-ip CIDR]...
[--allow-any-ip] [--block-reads on|off] [--block-writes on|off]``: with no setting, the configuration; with
some, the change (each value checked first), after a typed confirmation of the database's name unless
``--yes``."""

from __future__ import annotations

import argparse
from typing import Any

from tursotui.cli.context import OK, Context
from tursotui.ops.dbconfig import ConfigChange, apply_change, config_json, config_lines
from tursotui.ops.names import check_name
from tursotui.platform import DatabaseConfiguration

LOCAL_ALLOW_NOTE = (
    "the local Turso keeps the allowed IPs but cannot check them: every client reaches it from "
    "127.0.0.1 (Turso Cloud refuses other addresses)"
)


def add_arguments(actions: Any, common: argparse.ArgumentParser) -> None:
    config = actions.add_parser(
        "config",
        parents=[common],
        help="show or change a database's configuration",
        description="Show the configuration of a database; with settings, change them (only the "
        "ones given) after a typed confirmation of its name, or --yes.",
    )
    config.add_argument("name", metavar="NAME")
    config.add_argument("--delete-protection", metavar="on|off", help="refuse deleting it")
    config.add_argument(
        "--size-limit", metavar="SIZE", help="writes past it fail: 256mb, 1gb, bytes; none"
    )
    config.add_argument(
        "--allow-ip",
        metavar="CIDR",
        action="append",
        help="accept connections only from these IPs/CIDR blocks (repeat; replaces the list)",
    )
    config.add_argument(
        "--allow-any-ip", action="store_true", help="clear the allowed IPs: any address"
    )
    config.add_argument("--block-reads", metavar="on|off", help="refuse every statement")
    config.add_argument("--block-writes", metavar="on|off", help="refuse every write")


def _show(ctx: Context, name: str, config: DatabaseConfiguration) -> None:
    ctx.out(f"configuration of {name}")
    width = max(len(label) for label, _ in config_lines(config))
    for label, value in config_lines(config):
        ctx.out(f"  {label.ljust(width)}  {value}")


async def config_command(ctx: Context) -> int:
    args = ctx.args
    name = check_name(args.name)
    change = ConfigChange.parse(  # every value checked before anything is contacted
        delete_protection=args.delete_protection,
        size_limit_text=args.size_limit,
        allow_ips=args.allow_ip,
        allow_any_ip=args.allow_any_ip,
        block_reads=args.block_reads,
        block_writes=args.block_writes,
    )
    async with ctx.backend() as backend:
        platform = backend.platform
        current = await platform.get_database_configuration(name)
        if change.empty:
            ctx.emit({"database": name, "configuration": config_json(current)})
            _show(ctx, name, current)
            return OK
        lines = change.describe(current)
        if not lines:
            ctx.emit({"database": name, "configuration": config_json(current), "changed": []})
            ctx.out(f"nothing to change: {name} already has these settings")
            return OK
        if not ctx.yes:
            ctx.info(f"the configuration of {name} will change:")
            for line in lines:
                ctx.info(f"  {line}")
        ctx.confirm(f"change the configuration of {name}", typed=name)
        after = await apply_change(platform, name, change)
    ctx.emit({"database": name, "configuration": config_json(after), "changed": lines})
    ctx.out(f"changed: {'; '.join(lines)}")
    _show(ctx, name, after)
    if change.allowed_ips and ctx.settings.target == "local":
        ctx.info(f"note: {LOCAL_ALLOW_NOTE}")
    return OK

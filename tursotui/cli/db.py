"""``tursotui db list|show NAME|usage [NAME]|config NAME|inspect NAME|shell NAME [SQL]``."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict
from typing import Any

from tursotui.cli import db_branch, db_config, db_inspect, db_list, shell
from tursotui.cli.context import OK, Context, run
from tursotui.cli.db_list import database_json
from tursotui.cli.db_list import flags as _flags
from tursotui.cli.parser import _Commands as Commands
from tursotui.ops.names import check_name
from tursotui.platform import (
    DatabaseUsage,
    OrganizationUsage,
    PlatformClient,
    UsageCounters,
)
from tursotui.support.humanize import size


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    # An action's heavier arguments are declared when argparse reaches it (``pending``): `db list` stays light.
    actions = parser.add_subparsers(
        dest="db_command", metavar="ACTION", required=True, action=Commands
    )
    assert isinstance(actions, Commands)
    actions.pending = {}
    db_list.add_arguments(actions, common)
    show = actions.add_parser("show", parents=[common], help="one database: URL, instances, config")
    show.add_argument("name", metavar="NAME")
    usage = actions.add_parser(
        "usage", parents=[common], help="this month's usage of a database or the organization"
    )
    usage.add_argument("name", metavar="NAME", nargs="?")
    db_config.add_arguments(actions, common)
    db_inspect.add_arguments(actions, common)
    shell.add_arguments(actions, common)
    db_branch.add_arguments(actions, common)


def _counters(usage: UsageCounters) -> dict[str, int]:
    return asdict(usage)


async def _show(ctx: Context) -> int:
    name = check_name(ctx.args.name)
    async with ctx.backend() as backend:
        platform = backend.platform
        db = await platform.get_database(name)
        instances = await platform.list_instances(name)
        config = await platform.get_database_configuration(name)
    ctx.emit(
        {
            "database": database_json(db),
            "instances": [asdict(i) | {"url": i.url} for i in instances],
            "configuration": asdict(config),
        }
    )
    ctx.out(f"name          {db.name}")
    ctx.out(f"id            {db.db_id or '-'}")
    ctx.out(f"url           {db.url}")
    ctx.out(f"group         {db.group or '-'}")
    ctx.out(f"primary       {db.primary_region or '-'}")
    limit = config.size_limit if config.size_limit not in (None, "", "0") else "none"
    ctx.out(f"size limit    {limit}")
    ctx.out(f"flags         {_flags(db)}")
    if db.parent is not None:
        ctx.out(f"restored from {db.parent.name} at {db.parent.branched_at or '?'}")
    ctx.out("")
    ctx.table(
        ["INSTANCE", "TYPE", "REGION", "URL"],
        ([i.name, i.type or "-", i.region or "-", i.url] for i in instances),
    )
    return OK


USAGE_CONCURRENCY = 8
"""Instance listings asked at once for ``db usage --json`` of a whole organization."""


async def _instances_json(
    platform: PlatformClient, database: str, usage: DatabaseUsage
) -> list[dict[str, Any]]:
    """Each instance's usage with its name, location and type (not only its uuid)."""
    known = {i.uuid: i for i in await platform.list_instances(database)} if usage.instances else {}
    out = []
    for item in usage.instances:
        instance = known.get(item.uuid)
        out.append(
            {
                "uuid": item.uuid,
                "name": instance.name if instance else None,
                "location": (instance.region or None) if instance else None,
                "type": (instance.type or None) if instance else None,
                "usage": _counters(item.usage),
            }
        )
    return out


async def _databases_json(platform: PlatformClient, org: OrganizationUsage) -> list[dict[str, Any]]:
    """Each database's usage with its name, and its instances named (see :func:`_instances_json`)."""
    names = {d.db_id: d.name for d in await platform.list_databases() if d.db_id}
    limit = asyncio.Semaphore(USAGE_CONCURRENCY)

    async def one(usage: DatabaseUsage) -> dict[str, Any]:
        name = names.get(usage.uuid)
        instances: list[dict[str, Any]] = [
            {
                "uuid": i.uuid,
                "name": None,
                "location": None,
                "type": None,
                "usage": _counters(i.usage),
            }
            for i in usage.instances
        ]
        if name is not None:
            async with limit:
                instances = await _instances_json(platform, name, usage)
        return {
            "uuid": usage.uuid,
            "name": name,
            "usage": _counters(usage.total),
            "instances": instances,
        }

    return list(await asyncio.gather(*(one(d) for d in org.databases)))


async def _usage(ctx: Context) -> int:
    name = check_name(ctx.args.name) if ctx.args.name else None
    async with ctx.backend() as backend:
        platform = backend.platform
        if name is not None:
            usage = await platform.database_usage(name)
            if ctx.json:
                ctx.emit(
                    {
                        "database": name,
                        "uuid": usage.uuid,
                        "usage": _counters(usage.total),
                        "instances": await _instances_json(platform, name, usage),
                    }
                )
            rows = [(k, _show_value(k, v)) for k, v in _counters(usage.total).items()]
            ctx.out(f"usage of {name} this month")
            ctx.table(["METRIC", "VALUE"], rows)
            return OK
        org = await platform.organization_usage()
        totals = asdict(org.usage)
        if ctx.json:
            ctx.emit(
                {
                    "organization": platform.organization,
                    "usage": totals,
                    "databases": await _databases_json(platform, org),
                }
            )
        ctx.out(f"usage of organization {platform.organization} this month")
        ctx.table(["METRIC", "VALUE"], [(k, _show_value(k, v)) for k, v in totals.items()])
    return OK


def _show_value(key: str, value: int) -> str:
    return size(value) if key.endswith("bytes") or key == "bytes_synced" else f"{value:,}"


def main(args: argparse.Namespace) -> int:
    body = {
        "list": db_list.list_command,
        "show": _show,
        "usage": _usage,
        "config": db_config.config_command,
        "inspect": db_inspect.inspect_command,
        "shell": shell.shell_command,
        "branch": db_branch.branch_command,
    }[args.db_command]
    return run(args, body)

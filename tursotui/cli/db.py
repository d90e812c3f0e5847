"""``tursotui db list|show NAME|usage [NAME]``."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from tursotui.cli.context import OK, Context, run
from tursotui.ops.names import check_name
from tursotui.platform import Database, UsageCounters
from tursotui.support.humanize import human_size


def database_json(db: Database) -> dict[str, Any]:
    body = asdict(db)
    body["regions"] = list(db.regions)
    body["url"] = db.url
    body["http_url"] = db.http_url
    return body


def _counters(usage: UsageCounters) -> dict[str, int]:
    return asdict(usage)


async def _list(ctx: Context) -> int:
    async with ctx.backend() as backend:
        databases = await backend.platform.list_databases()
        organization = backend.platform.organization
    databases.sort(key=lambda d: d.name)
    ctx.emit(
        {
            "organization": organization,
            "target": ctx.settings.target,
            "databases": [database_json(d) for d in databases],
        }
    )
    if not databases:
        ctx.out(f"no databases in organization {organization}")
        return OK
    ctx.table(
        ["NAME", "GROUP", "PRIMARY", "URL", "FLAGS"],
        ([d.name, d.group or "-", d.primary_region or "-", d.url, _flags(d)] for d in databases),
    )
    return OK


def _flags(db: Database) -> str:
    flags = []
    if db.block_reads:
        flags.append("reads-blocked")
    if db.block_writes:
        flags.append("writes-blocked")
    if db.delete_protection:
        flags.append("delete-protected")
    if db.archived or db.sleeping:
        flags.append("archived" if db.archived else "sleeping")
    if db.parent is not None:
        flags.append(f"from:{db.parent.name}")
    return ",".join(flags) or "-"


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


async def _usage(ctx: Context) -> int:
    name = check_name(ctx.args.name) if ctx.args.name else None
    async with ctx.backend() as backend:
        platform = backend.platform
        if name is not None:
            usage = await platform.database_usage(name)
            ctx.emit(
                {
                    "database": name,
                    "uuid": usage.uuid,
                    "usage": _counters(usage.total),
                    "instances": [
                        {"uuid": i.uuid, "usage": _counters(i.usage)} for i in usage.instances
                    ],
                }
            )
            rows = [(k, _show_value(k, v)) for k, v in _counters(usage.total).items()]
            ctx.out(f"usage of {name} this month")
            ctx.table(["METRIC", "VALUE"], rows)
            return OK
        org = await platform.organization_usage()
        totals = asdict(org.usage)
        ctx.emit(
            {
                "organization": platform.organization,
                "usage": totals,
                "databases": [{"uuid": d.uuid, "usage": _counters(d.total)} for d in org.databases],
            }
        )
        ctx.out(f"usage of organization {platform.organization} this month")
        ctx.table(["METRIC", "VALUE"], [(k, _show_value(k, v)) for k, v in totals.items()])
    return OK


def _show_value(key: str, value: int) -> str:
    return human_size(value) if key.endswith("bytes") or key == "bytes_synced" else f"{value:,}"


def main(args: argparse.Namespace) -> int:
    body = {"list": _list, "show": _show, "usage": _usage}[args.db_command]
    return run(args, body)

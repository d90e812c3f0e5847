"""``tursotui group list|unarchive NAME``: the organization's groups, an archived one marked (Turso Cloud
archives a Free-plan group after days without activity; its databases then answer HTTP 502), and waking
one (``POST …/groups/{g}/unarchive``), as turso-cli's ``group list`` and ``group unarchive``."""

from __future__ import annotations

import argparse
from typing import Any

from tursotui.cli.context import OK, Context, run
from tursotui.ops.archived import unarchive_command
from tursotui.ops.names import check_name
from tursotui.platform import Group


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="group_command", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[common], help="groups, locations and status (archived)")
    unarchive = actions.add_parser(
        "unarchive", parents=[common], help="wake an archived group: its databases answer again"
    )
    unarchive.add_argument("name", metavar="NAME")


def group_json(group: Group) -> dict[str, Any]:
    return {
        "name": group.name,
        "uuid": group.uuid or None,
        "primary": group.primary or None,
        "locations": list(group.locations),
        "version": group.version or None,
        "archived": group.archived,
        "delete_protection": group.delete_protection,
        "status": status(group),
    }


def status(group: Group) -> str:
    return "archived" if group.archived else "active"


async def _list(ctx: Context) -> int:
    async with ctx.backend() as backend:
        groups = sorted(await backend.platform.list_groups(), key=lambda g: g.name)
        organization = backend.platform.organization
    ctx.emit({"organization": organization, "groups": [group_json(g) for g in groups]})
    if not groups:
        ctx.out(f"no groups in organization {organization}")
        return OK
    ctx.table(
        ["NAME", "PRIMARY", "LOCATIONS", "STATUS"],
        ([g.name, g.primary or "-", ", ".join(g.locations) or "-", status(g)] for g in groups),
    )
    archived = [g.name for g in groups if g.archived]
    for name in archived:
        ctx.out(f"group {name} is archived — unarchive with `{unarchive_command(name)}`")
    return OK


async def _unarchive(ctx: Context) -> int:
    name = check_name(ctx.args.name, "group")
    async with ctx.backend() as backend:
        group = await backend.platform.unarchive_group(name)
    ctx.emit({"group": group_json(group)})
    ctx.out(f"group {group.name} is unarchived: its databases answer again")
    return OK


def main(args: argparse.Namespace) -> int:
    body = {"list": _list, "unarchive": _unarchive}[args.group_command]
    return run(args, body)

"""``tursotui org audit-log [--page N] [--page-size N]``: the organization's audit log, newest first.

As turso-cli's ``org audit-logs list`` (date, author, code, origin; 25 a page); the logic is
:mod:`tursotui.ops.audit`. Audit logs are a paid-plan feature: on the Free (starter) plan the command says so
and exits 1.
"""

from __future__ import annotations

import argparse

from tursotui.cli.context import OK, Context, run
from tursotui.ops.audit import DEFAULT_PAGE_SIZE, audit_log, check_paging


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="org_command", metavar="ACTION", required=True)
    log = actions.add_parser(
        "audit-log",
        parents=[common],
        help="who did what, newest first (paid plans)",
        description="The organization's audit log, newest first: every database, group, location, "
        "token and configuration change, with who made it.",
    )
    log.add_argument("--page", type=int, default=1, metavar="N", help="page number (from 1)")
    log.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help=f"entries per page (default {DEFAULT_PAGE_SIZE})",
    )


async def _audit_log(ctx: Context) -> int:
    page, size = ctx.args.page, ctx.args.page_size
    check_paging(page, size)  # before the backend starts
    async with ctx.backend() as backend:
        view = await audit_log(backend.platform, page=page, page_size=size)
    ctx.emit(view.to_json())
    if view.page.entries:
        ctx.table(["DATE (UTC)", "AUTHOR", "CODE", "ORIGIN", "MESSAGE"], view.rows())
    ctx.out(view.summary())
    return OK


def main(args: argparse.Namespace) -> int:
    body = {"audit-log": _audit_log}
    return run(args, body[args.org_command])

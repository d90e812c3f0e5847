"""``tursotui plan show``: the organization's plan (its base name), overages on or off, the billing cycle and
this month's usage against the plan's quotas, as turso-cli's ``plan show`` (an OVERAGE column with overages
on: the billed excess, not "used up"). When ``/subscription`` or ``/plans`` is refused, what is known is shown
and the rest said unknown (tursotui.ops.plan)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from tursotui.cli.context import OK, Context, run
from tursotui.ops.plan import fetch_plan_view, limit_text, overages_text, plan_json
from tursotui.support import humanize


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="plan_command", metavar="ACTION", required=True)
    actions.add_parser(
        "show", parents=[common], help="plan, overages, quotas, billing cycle, usage against them"
    )


async def _show(ctx: Context) -> int:
    async with ctx.backend() as backend:
        view = await fetch_plan_view(backend.platform, datetime.now(UTC))
    ctx.emit(plan_json(view))
    source = f" (from {view.plan_source})" if view.plan_source == "organization.plan_id" else ""
    ctx.out(f"organization  {view.organization}")
    ctx.out(f"plan          {view.label}{source}")
    ctx.out(f"overages      {overages_text(view)}")
    cycle = view.timeline or "unknown"
    ctx.out(f"billing cycle {cycle}; quotas reset {humanize.utc_date(view.reset)} 00:00 UTC")
    blocked = [
        w for w, on in (("reads", view.blocked_reads), ("writes", view.blocked_writes)) if on
    ]
    if blocked:
        ctx.out(f"blocked       {' and '.join(blocked)} (a quota is used up)")
    ctx.out("")
    headers = ["RESOURCE", "USED", "LIMIT", "LIMIT %"]
    if view.overages:
        headers.append("OVERAGE (BILLED)")
    rows = []
    for row in view.rows:
        cells = [
            row.resource,
            row.show(row.used),
            limit_text(view, row),
            humanize.percent(row.percent) or "-",
        ]
        if view.overages:
            cells.append(row.show(row.billed_excess) if row.billed_excess is not None else "-")
        rows.append(cells)
    ctx.table(headers, rows)
    states = [f"{row.resource}: {row.state}" for row in view.rows if row.state]
    for line in [*states, *view.notes]:
        ctx.out(f"note: {line}")
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, {"show": _show}[args.plan_command])

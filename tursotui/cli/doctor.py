"""``tursotui doctor [DATABASE] [--all] [--json]``: the seed's troubleshooting checklist (tursotui.ops.doctor).

Each check says OK, or what is wrong and the fix (a key or a command). Exit 0 when no check failed (warnings
and skipped checks pass), 1 otherwise; 2 for bad input. ``--all`` runs the checks across every database of the
organization and summarises per check (``--concurrency`` databases at a time)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import httpx

from tursotui.cli.context import FAILED, OK, Context, run
from tursotui.ops.doctor import (
    CHECKS,
    CheckSummary,
    DoctorInputs,
    DoctorReport,
    FleetReport,
    summary_text,
)
from tursotui.ops.doctor.fleet import DEFAULT_CONCURRENCY, run_fleet
from tursotui.ops.doctor.model import LABELS, counts
from tursotui.ops.doctor.run import run_doctor
from tursotui.ops.errors import InputError
from tursotui.ops.latency import DEFAULT_TIMEOUT, HttpLatencyProbe
from tursotui.ops.tokens import TokenLedger
from tursotui.support.loopback import loopback_only_tls

FIX_INDENT = " " * 6


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the troubleshooting checklist on a database (or --all: every database, summarised per "
        "check). Each check says OK, or what is wrong and the fix. Exit 0 when no check failed "
        "(warnings and skipped checks pass), 1 otherwise, 2 for bad input."
    )
    parser.epilog = "checks: " + "; ".join(title for _, title in CHECKS)
    parser.add_argument(
        "database", nargs="?", metavar="DATABASE", help="default: [turso] database_name"
    )
    parser.add_argument(
        "--all", action="store_true", help="every database of the organization, per check"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"with --all: databases checked at once (default {DEFAULT_CONCURRENCY})",
    )


def _check_args(ctx: Context) -> str | None:
    args = ctx.args
    if args.all and args.database:
        raise InputError("give a DATABASE or --all, not both")
    if not 1 <= args.concurrency <= 64:
        raise InputError(f"--concurrency takes 1 to 64, not {args.concurrency}")
    if args.all:
        return None
    return ctx.database_name(args.database)


def _show(ctx: Context, report: DoctorReport, label: str) -> None:
    ctx.emit(report.to_json())
    ctx.out(f"doctor: database {report.database} ({label})")
    width = max(len(c.title) for c in report.checks)
    for check in report.checks:
        ctx.out(f"{check.label:<5} {check.title:<{width}}  {check.detail}")
        if check.fix and check.state != "ok":
            ctx.out(f"{FIX_INDENT}fix: {check.fix}")
    ctx.out("")
    ctx.out(summary_text(report.counts))


def _findings(summary: CheckSummary) -> Sequence[str]:
    lines = [
        f"{f.database}: {f.detail}" if f.database else f.detail
        for f in summary.findings
        if f.state != "ok"
    ]
    more = summary.counts["fail"] + summary.counts["warn"] - len(summary.findings)
    if summary.scope == "database" and more > 0:
        lines.append(f"… and {more} more")
    return lines


def _show_fleet(ctx: Context, report: FleetReport, label: str) -> None:
    ctx.emit(report.to_json())
    plural = "s" if report.databases != 1 else ""
    ctx.out(f"doctor --all: {report.databases} database{plural} ({label})")
    width = max(len(s.title) for s in report.checks)
    for summary in report.checks:
        ctx.out(f"{LABELS[summary.state]:<5} {summary.title:<{width}}  {summary.detail}")
        for line in _findings(summary):
            ctx.out(f"{FIX_INDENT}{line}")
        if summary.fix and summary.state in ("fail", "warn"):
            ctx.out(f"{FIX_INDENT}fix: {summary.fix}")
    ctx.out("")
    ctx.out(f"checks: {summary_text(counts(s.state for s in report.checks))}")


async def _doctor(ctx: Context) -> int:
    _check_args(ctx)
    async with ctx.backend() as backend:
        name = _check_args(
            ctx
        )  # after the backend: a new demo org names its database in config.toml
        verify = loopback_only_tls() if backend.is_local else True
        async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, verify=verify) as http:
            inputs = DoctorInputs.from_settings(
                ctx.settings,
                backend.platform,
                HttpLatencyProbe(http),
                local=backend.is_local,
                ledger=TokenLedger.in_data_dir(ctx.settings.data_dir),
            )
            if name is None:
                fleet = await run_fleet(
                    inputs,
                    concurrency=ctx.args.concurrency,
                    progress=lambda done, total: ctx.progress(f"checked {done} of {total}"),
                )
                ctx.end_progress()
                _show_fleet(ctx, fleet, backend.label)
                return OK if fleet.passed else FAILED
            report = await run_doctor(inputs, name)
    _show(ctx, report, backend.label)
    return OK if report.passed else FAILED


def main(args: argparse.Namespace) -> int:
    return run(args, _doctor)

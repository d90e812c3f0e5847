"""``tursotui setup``: the xSwarm guide's Quick Setup Checklist, end to end, re-runnable."""

from __future__ import annotations

import argparse
import sys

from tursotui.backend import open_backend
from tursotui.cli.context import FAILED, OK, Context, run
from tursotui.ops.errors import InputError
from tursotui.ops.setup import Setup, SetupPlan, StepResult

MARKS = {"done": "✔", "skipped": "·", "failed": "✘"}


def _ask_yes(ctx: Context, question: str) -> bool:
    return ctx._ask(f"{question} [y/N] ").lower() in ("y", "yes")


def _plan(ctx: Context) -> SetupPlan:
    args = ctx.args
    replicas = tuple(r.strip() for r in args.replicas.split(",") if r.strip())
    plan = SetupPlan(
        database=args.database or ctx.settings.config.turso.database_name or "xswarm-users",
        group=args.group,
        primary=args.location,
        replicas=replicas,
        expiration=args.expiration,
        read_only=args.read_only,
        test_users=args.test_users,
        local_replica=args.local_replica,
        backups=args.backups,
    )
    if args.non_interactive or ctx.json:
        return plan
    if not sys.stdin.isatty():
        raise InputError("setup asks questions: run it on a terminal, or pass --non-interactive")
    if not replicas and _ask_yes(ctx, "Add replica locations (optional)?"):
        answer = ctx._ask("Replica locations, comma-separated (e.g. iad,fra): ")
        plan.replicas = tuple(r.strip() for r in answer.split(",") if r.strip())
    if not args.test_users:
        plan.test_users = _ask_yes(ctx, "Insert the guide's test users?")
    if not args.local_replica:
        plan.local_replica = _ask_yes(ctx, "Enable the local embedded replica?")
    if not args.backups:
        plan.backups = _ask_yes(ctx, "Enable scheduled backups?")
    return plan


async def _setup(ctx: Context) -> int:
    plan = _plan(ctx)

    def show(result: StepResult) -> None:
        ctx.out(f"{MARKS[result.status]} {result.title}: {result.detail}")
        for statement in result.statements:
            ctx.out("    " + " ".join(statement.split())[:110])

    async with open_backend(ctx.settings) as backend:
        for secret in backend.secrets:
            ctx.add_secret(secret)
        ctx.out(f"Setting up {plan.database} on {backend.label}")
        results = await Setup(backend, plan).run(show)
    ctx.emit({"steps": [r.to_json() for r in results]})
    failed = [r for r in results if r.status == "failed"]
    if failed:
        return ctx.fail(f"{failed[0].title} failed: {failed[0].detail} (re-run to resume)", FAILED)
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _setup)

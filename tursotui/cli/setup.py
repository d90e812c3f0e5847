"""``tursotui setup``: the xSwarm guide's Quick Setup Checklist, end to end, re-runnable.

Interactive, it first says which organization, database and location it will set up (ops/setup_preview.py), then
asks for the database name, the primary location (listing the valid codes), the replica locations (warning first
when they go past the plan's location limit), the token's expiration and access, and the optional steps; every
answer is checked and asked again when wrong. ``--non-interactive``, ``--yes`` or ``--json`` ask nothing and keep
the defaults and flags as given (a replica past the location limit is then named in the step's result)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from tursotui.backend import open_backend
from tursotui.cli.context import FAILED, OK, Context, run
from tursotui.ops.errors import InputError
from tursotui.ops.locations import EDGE_REPLICAS_DEPRECATED, fetch_location_warning
from tursotui.ops.names import check_name
from tursotui.ops.setup import Setup, SetupPlan, StepResult
from tursotui.ops.setup_preview import SetupPreview, preview_setup
from tursotui.ops.tokens import parse_expiration
from tursotui.platform import PlatformClient

MARKS = {"done": "✔", "skipped": "·", "failed": "✘"}
ATTEMPTS = 5
"""Wrong answers to one question before setup gives up (a script piping the wrong answers never loops)."""
T = TypeVar("T")


def _ask_yes(ctx: Context, question: str) -> bool:
    return ctx._ask(f"{question} [y/N] ").lower() in ("y", "yes")


def _ask_checked(ctx: Context, prompt: str, default: str, check: Callable[[str], T]) -> T:
    """Ask until ``check`` accepts the answer (empty: ``default``); each wrong answer is named."""
    for _ in range(ATTEMPTS):
        answer = ctx._ask(f"{prompt} [{default}]: ") or default
        try:
            return check(answer)
        except InputError as exc:
            ctx.info(f"  {exc}")
    raise InputError(f"no valid answer after {ATTEMPTS} tries: {prompt.lower()}")


def _codes(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.strip() for r in text.split(",") if r.strip()))


def _plan(ctx: Context) -> SetupPlan:
    """The plan from the flags (and config.toml's database name): what a non-interactive run does."""
    args = ctx.args
    return SetupPlan(
        database=check_name(
            args.database or ctx.settings.config.turso.database_name or "xswarm-users"
        ),
        group=args.group,
        primary=args.location,
        replicas=_codes(args.replicas),
        expiration=args.expiration,
        read_only=args.read_only,
        test_users=args.test_users,
        local_replica=args.local_replica,
        backups=args.backups,
    )


def _interactive(ctx: Context) -> bool:
    args = ctx.args
    if args.non_interactive or ctx.json or ctx.yes:
        return False
    if not sys.stdin.isatty():
        raise InputError(
            "setup asks questions: run it on a terminal, or pass --non-interactive (or --yes)"
        )
    return True


def _show_plan(ctx: Context, preview: SetupPreview, plan: SetupPlan, heading: str) -> None:
    ctx.out(heading)
    for line in preview.lines(
        database=plan.database,
        group=plan.group,
        primary=plan.primary,
        replicas=plan.replicas,
        expiration=plan.expiration,
        read_only=plan.read_only,
    ):
        ctx.out(line)


async def _ask(
    ctx: Context, preview: SetupPreview, plan: SetupPlan, platform: PlatformClient
) -> None:
    """The questions, each with the current value as its default; ``plan`` is changed in place."""
    args = ctx.args
    _show_plan(ctx, preview, plan, f"tursotui setup on the {preview.target} will set up:")
    plan.organization = preview.organization
    plan.database = _ask_checked(ctx, "Database name", plan.database, check_name)
    settled = preview.settled_primary(plan.database, plan.group)
    valid = "\n".join(f"  {code:<8} {desc}" for code, desc in preview.locations.locations)
    if settled is not None:
        ctx.out(f"Primary location: {settled}")
    else:
        ctx.out(f"Valid location codes:\n{valid}")
        default = plan.primary or preview.locations.default
        plan.primary = _ask_checked(ctx, "Primary location", default, preview.check_location)
    refused = preview.replicas_refused(plan.database, plan.group, plan.primary)
    if refused is not None:
        ctx.out(f"Replica locations: none — {refused}")
        if plan.replicas:
            raise InputError(f"{refused}; run setup without --replicas")
    elif not plan.replicas:
        ctx.out(f"Note: {EDGE_REPLICAS_DEPRECATED}")
        if _ask_yes(ctx, "Add replica locations (optional)?"):
            if settled is not None:
                ctx.out(f"Valid location codes:\n{valid}")
            plan.replicas = _ask_checked(
                ctx,
                "Replica locations, comma-separated",
                "none",
                lambda text: (
                    () if text == "none" else tuple(map(preview.check_location, _codes(text)))
                ),
            )
    if plan.replicas:  # a new group's primary is a new location too
        new = [plan.primary] if settled is None and plan.primary else []
        over = await fetch_location_warning(platform, [*new, *plan.replicas])
        if over:
            ctx.info(f"⚠ {over}")
            if not _ask_yes(ctx, f"Add {', '.join(plan.replicas)} anyway?"):
                plan.replicas = ()
    plan.expiration = _ask_checked(
        ctx,
        "Token expiration (e.g. 90d, 12h, never)",
        plan.expiration,
        lambda text: parse_expiration(text).text or text,
    )
    if not args.read_only:
        plan.read_only = _ask_yes(ctx, "Read-only token (refuses writes)?")
    if not args.test_users:
        plan.test_users = _ask_yes(ctx, "Insert the guide's test users?")
    if not args.local_replica:
        plan.local_replica = _ask_yes(ctx, "Enable the local embedded replica?")
    if not args.backups:
        plan.backups = _ask_yes(ctx, "Enable scheduled backups?")
    _show_plan(ctx, preview, plan, "With your answers:")


async def _setup(ctx: Context) -> int:
    plan = _plan(ctx)
    interactive = _interactive(ctx)

    def show(result: StepResult) -> None:
        ctx.out(f"{MARKS[result.status]} {result.title}: {result.detail}")
        for statement in result.statements:
            ctx.out("    " + " ".join(statement.split())[:110])

    async with open_backend(ctx.settings) as backend:
        for secret in backend.secrets:
            ctx.add_secret(secret)
        setup = Setup(backend, plan)
        if interactive:
            preview = await preview_setup(
                backend.platform,
                target=backend.label,
                local=setup.is_local,
                wanted=setup.wanted_organization,
            )
            backend.platform.organization = preview.organization
            await _ask(ctx, preview, plan, backend.platform)
            setup = Setup(backend, plan)  # checks the answers as the flags are checked
        ctx.out(f"Setting up {plan.database} on {backend.label}")
        results = await setup.run(show)
    steps = {"steps": [r.to_json() for r in results]}
    failed = [r for r in results if r.status == "failed"]
    if failed:  # --json: one document, the error with the steps
        message = f"{failed[0].title} failed: {failed[0].detail} (re-run to resume)"
        return ctx.fail(message, FAILED, steps)
    ctx.emit(steps)
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _setup)

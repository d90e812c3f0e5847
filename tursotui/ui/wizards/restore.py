"""Restore-to-timestamp wizard, keyboard only: each step is a modal awaited with ``push_screen_wait`` inside
one worker. database → time (or a local recovery point) → new name → typed confirmation → progress →
verification → point config.toml/.env at the new database. The source database is never changed. This module
is the flow; the step dialogs are in ``restore_steps.py`` and the verification screen in ``restore_verify.py``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tursotui.libsql import LibsqlError
from tursotui.ops.errors import Cancelled, InputError
from tursotui.ops.restore import (
    GAP_WARNING,
    RestorePlan,
    Window,
    check_new_name,
    default_name,
    plan_from,
    point_time,
    read_restore_time,
    restore_window,
    run_restore,
    used_point_note,
    utc,
    verify_restore,
)
from tursotui.platform import PlatformError
from tursotui.platform.models_local import RecoveryPoint
from tursotui.support import humanize as fmt
from tursotui.ui.dialogs.choices import Choice
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.wizards.asking import ask
from tursotui.ui.wizards.restore_steps import ProgressScreen, StepScreen, step_title
from tursotui.ui.wizards.restore_verify import VerifyScreen

if TYPE_CHECKING:
    from tursotui.ui.app import TursoApp


READ_ONLY_REFUSAL = (
    "Read-only mode: restore is disabled (it creates a database, mints a full-access token and "
    "points config.toml and .env at it)"
)


async def run_restore_wizard(app: TursoApp) -> None:
    """The whole wizard (refused in read-only mode); any error is shown and nothing is left
    half-changed on the source."""
    if app.services.read_only:
        app.notify(READ_ONLY_REFUSAL, severity="warning", timeout=6, markup=False)
        return
    try:
        await _wizard(app)
    except Cancelled:
        app.notify("Restore cancelled: nothing changed", timeout=3, markup=False)
    except (PlatformError, LibsqlError, InputError, OSError) as exc:
        app.post_message(ErrorOccurred("Restore failed", str(exc), modal=True))


TYPE_A_TIME = "type"
TIME_FORMS = (
    "a local time (2026-06-15 10:30, 10:30 today), UTC (2026-06-15T08:30:00Z) or relative (2h ago)"
)


def _point_choices(
    points: tuple[RecoveryPoint, ...], window: Window, now: datetime
) -> list[Choice]:
    """The points newest first (one no time in the window picks is shown disabled), then typing."""
    choices = []
    for p in sorted(points, key=lambda p: p.taken_at, reverse=True):
        local = p.taken_at.astimezone()
        outside = point_time(p, points, window, now) is None
        choices.append(
            Choice(
                p.id,
                f"local {local:%Y-%m-%d %H:%M:%S %Z} · UTC {p.taken_at:%Y-%m-%d %H:%M:%S} · "
                f"{p.reason} · {fmt.size(p.size_bytes)}"
                + (" · outside the window" if outside else ""),
                disabled=outside,
            )
        )
    choices.append(
        Choice(TYPE_A_TIME, "Type a time instead: the latest point at or before it is used")
    )
    return choices


async def _pick_time(
    app: TursoApp, source: str, group: str, window: Window, points: tuple[RecoveryPoint, ...]
) -> RestorePlan:
    """The plan: on the local Turso a listed point or a typed time, on Turso Cloud a typed time."""
    s = app.services
    local = s.target == "local"
    span = f"Window: {window.describe()}"
    if window.oldest is not None:
        span += f"; oldest point {utc(window.oldest)}"
    if local:
        if not points:
            raise InputError(f"the local Turso has no recovery points of {source} yet")
        now = s.clock()
        chosen = await ask(
            app,
            StepScreen(
                step_title(1, "Recovery point or time"),
                f"{span}.\nRestore {source} from one of its recovery points (newest first), "
                "or type a time:",
                choices=_point_choices(points, window, now),
            ),
        )
        if chosen != TYPE_A_TIME:
            point = next(p for p in points if p.id == chosen)
            when = point_time(point, points, window, now)
            if when is None:
                raise InputError(f"recovery point {point.id} is outside the window")
            return plan_from(source, group, window, points, when, now, local=True)

    def plan_for(text: str) -> RestorePlan:
        now = s.clock()
        return plan_from(
            source, group, window, points, read_restore_time(text, now), now, local=local
        )

    def preview(text: str) -> str:
        plan = plan_for(text)
        return f"{plan.when.describe()}\n{plan.point_line()}" if local else plan.when.describe()

    typed = await ask(
        app,
        StepScreen(
            step_title(1, "Time"),
            f"{span}.\nRestore {source} as of: {TIME_FORMS}."
            + ("\nThe latest recovery point at or before it is used." if local else ""),
            placeholder="2h ago",
            check=preview,
            warning="" if local else GAP_WARNING,
        ),
    )
    return plan_for(typed)


async def _wizard(app: TursoApp) -> None:
    s = app.services
    # The console's snapshot when there is one (no refetch); the selected database is offered first.
    snapshot = app.snapshot
    databases = list(snapshot.databases) if snapshot else await s.platform.list_databases()
    if not databases:
        app.notify("No databases to restore", severity="warning", timeout=3, markup=False)
        return
    existing = {d.name for d in databases}
    first = app.selected or s.database_name
    ordered = sorted(databases, key=lambda d: (d.name != first, d.name))
    source = await ask(
        app,
        StepScreen(
            step_title(0, "Database"),
            "Which database? It is restored into a NEW database; the source is never changed.",
            choices=[Choice(d.name, f"{d.name:<28} group {d.group or '–'}") for d in ordered],
        ),
    )
    database = next(d for d in databases if d.name == source)
    group = database.group
    if not group:
        raise InputError(f"database {source} has no group: it cannot be restored from here")
    window, points = await restore_window(s.platform, database, local=s.target == "local")
    plan = await _pick_time(app, source, group, window, points)
    moment = plan.moment
    new = await ask(
        app,
        StepScreen(
            step_title(2, "New name"),
            f"Name of the NEW database (group {group}); lowercase letters, numbers and dashes.",
            value=default_name(source, moment),
            check=lambda v: f"{check_new_name(v, source, existing)} is free and valid",
        ),
    )
    new = check_new_name(new, source, existing)
    await ask(
        app,
        StepScreen(
            step_title(3, "Confirm"),
            f"Create {new} from {source} as of {plan.when.describe()}.\n{plan.point_line()}\n"
            f"{source} is not changed. {new} counts against the databases quota.\n"
            f"Type {new} to confirm:",
            placeholder=new,
            check=lambda v: _typed(v, new),
        ),
    )
    progress = ProgressScreen(step_title(4, "Restore"), f"Creating {new} from {source}…")
    await app.push_screen(progress)
    try:
        restored = await run_restore(s.platform, plan, new)
        progress.say(f"Created {new}. Verifying: schema and row counts of both…")
        verification = await verify_restore(
            s.platform, source, new, ledger=s.ledger, target=s.target, secret=s.secrets.add
        )
    finally:
        app.pop_screen()
    note = used_point_note(plan, restored)
    if note:
        app.notify(note, severity="warning", timeout=8, markup=False)
    choices = [
        Choice(
            "point",
            f"Mint a token for {new} and point config.toml and .env at it (both backed up first)",
            disabled=s.config_path is None or s.env_path is None,
        ),
        Choice("done", "Done: leave config.toml and .env as they are"),
    ]
    answer = await app.push_screen_wait(VerifyScreen(source, new, moment, verification, choices))
    if answer == "point":
        await _point_config(app, new, restored.database.url)
    else:
        app.notify(f"Restored into {new}; config unchanged", timeout=5, markup=False)


def _typed(value: str, name: str) -> str:
    if value.strip() != name:
        raise InputError(f"type {name} exactly to confirm")
    return "enter restores"


async def _point_config(app: TursoApp, new: str, url: str) -> None:
    import asyncio

    from tursotui.config.point import point_at_database

    s = app.services
    if s.config_path is None or s.env_path is None:
        return
    from tursotui.ops.token_actions import issue_token
    from tursotui.ops.tokens import parse_expiration

    # An expiry (the configured default, 90 days) and a ledger entry: the expiry warnings cover it.
    minted = await issue_token(
        s.platform,
        database=new,
        group=None,
        expiration=parse_expiration(s.token_expiration),
        read_only=False,
        ledger=s.ledger,
        target=s.target,
    )
    s.secrets.add(minted.token)
    pointed = await asyncio.to_thread(
        point_at_database,
        s.config_path,
        s.env_path,
        config={"turso.database_name": new, "turso.database_url": url},
        token=minted.token,
    )
    backups = ", ".join(str(p) for p in pointed.backups) or "none (new files)"
    expires = minted.entry.expires_at or "never"
    app.notify(
        f"config.toml and .env now point at {new}; backups: {backups}. Its token "
        f"{minted.entry.fingerprint} expires {expires} (in the token ledger)",
        timeout=8,
        markup=False,
    )

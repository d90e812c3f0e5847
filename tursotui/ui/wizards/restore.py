"""Restore-to-timestamp wizard, keyboard only: each step is a modal awaited with ``push_screen_wait`` inside
one worker. database → time (or a local recovery point) → new name → typed confirmation → progress →
verification → point config.toml/.env at the new database. The source database is never changed. This module
is the flow; the step dialogs are in ``restore_steps.py`` and the verification screen in ``restore_verify.py``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.screen import ModalScreen

from tursotui.libsql import LibsqlError
from tursotui.ops.browse.session import SqlSession
from tursotui.ops.errors import InputError
from tursotui.ops.restore_plan import (
    GAP_WARNING,
    Verification,
    Window,
    check_new_name,
    compare,
    default_name,
    describe_window,
    parse_wizard_time,
    retention_for_plan,
    show_time,
)
from tursotui.platform import PlatformError
from tursotui.platform.models import format_timestamp
from tursotui.support import humanize as fmt
from tursotui.ui.dialogs.choices import Choice
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.wizards.restore_steps import ProgressScreen, StepScreen, step_title
from tursotui.ui.wizards.restore_verify import VerifyScreen

if TYPE_CHECKING:
    from tursotui.ui.app import TursoApp


READ_ONLY_REFUSAL = (
    "Read-only mode: restore is disabled (it creates a database, mints a full-access token and "
    "points config.toml and .env at it)"
)


class Cancelled(Exception):
    pass


async def _ask(app: TursoApp, screen: ModalScreen[str | None]) -> str:
    answer = await app.push_screen_wait(screen)
    if answer is None:
        raise Cancelled
    return answer


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


async def _window(app: TursoApp, name: str) -> tuple[Window, list[tuple[str, datetime, str]]]:
    s = app.services
    database = await s.platform.get_database(name)
    branched = database.parent.branched if database.parent else None
    if s.target == "local":
        listed = await s.platform.local_recovery_points(name)
        points = [
            (p.id, p.taken_at, f"{p.reason} · {fmt.size(p.size_bytes)}") for p in listed.points
        ]
        oldest = listed.points[0].taken_at if listed.points else branched
        window = Window(
            timedelta(days=listed.retention_days),
            f"local Turso retention_days {listed.retention_days:g}",
            oldest,
        )
        return window, points
    from tursotui.ops.snapshot import fetch_plan

    plan = await fetch_plan(s.platform)
    retention = retention_for_plan(plan.name)
    return Window(retention, f"plan {plan.name}", branched), []


async def _wizard(app: TursoApp) -> None:
    s = app.services
    now = s.clock()
    databases = await s.platform.list_databases()
    if not databases:
        app.notify("No databases to restore", severity="warning", timeout=3, markup=False)
        return
    existing = {d.name for d in databases}
    ordered = sorted(databases, key=lambda d: (d.name != s.database_name, d.name))
    source = await _ask(
        app,
        StepScreen(
            step_title(0, "Database"),
            "Which database? It is restored into a NEW database; the source is never changed.",
            choices=[Choice(d.name, f"{d.name:<28} group {d.group or '–'}") for d in ordered],
        ),
    )
    group = next(d.group for d in databases if d.name == source)
    if not group:
        raise InputError(f"database {source} has no group: it cannot be restored from here")
    window, points = await _window(app, source)
    span = f"Window: {describe_window(window.retention)} ({window.source})"
    if window.oldest is not None:
        span += f"; oldest point {format_timestamp(window.oldest)}"
    if s.target == "local":
        if not points:
            raise InputError(f"the local Turso has no recovery points of {source} yet")
        chosen = await _ask(
            app,
            StepScreen(
                step_title(1, "Recovery point"),
                f"{span}.\nThe local Turso restores from these points of {source} (newest first):",
                choices=[
                    Choice(pid, f"{show_time(taken).split(' · RFC3339')[0]} · {what}")
                    for pid, taken, what in sorted(points, key=lambda p: p[1], reverse=True)
                ],
            ),
        )
        moment = next(taken for pid, taken, _ in points if pid == chosen)
        # taken_at is shown in whole seconds (rounded): ask for the second after, never before the point
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    else:

        def check_time(text: str) -> str:
            value = parse_wizard_time(text, now)
            window.check(value, now)
            return show_time(value)

        typed = await _ask(
            app,
            StepScreen(
                step_title(1, "Time"),
                f"{span}.\nRestore {source} as of: a local time (2026-06-15 10:30), UTC "
                "(2026-06-15T08:30:00Z) or relative (2h ago).",
                placeholder="2h ago",
                check=check_time,
                warning=GAP_WARNING,
            ),
        )
        moment = parse_wizard_time(typed, now)
    new = await _ask(
        app,
        StepScreen(
            step_title(2, "New name"),
            f"Name of the NEW database (group {group}); lowercase letters, numbers and dashes.",
            value=default_name(source, moment),
            check=lambda v: f"{check_new_name(v, source, existing)} is free and valid",
        ),
    )
    new = check_new_name(new, source, existing)
    await _ask(
        app,
        StepScreen(
            step_title(3, "Confirm"),
            f"Create {new} from {source} as of {format_timestamp(moment)} "
            f"({show_time(moment).split(' · RFC3339')[0]}).\n"
            f"{source} is not changed. {new} counts against the databases quota.\n"
            f"Type {new} to confirm:",
            placeholder=new,
            check=lambda v: _typed(v, new),
        ),
    )
    progress = ProgressScreen(step_title(4, "Restore"), f"Creating {new} from {source}…")
    await app.push_screen(progress)
    try:
        from tursotui.ops.restore import restore_database

        restored = await restore_database(s.platform, source, moment, new, group=group)
        progress.say(f"Created {new}. Verifying: schema and row counts of both…")
        verification = await _verify(app, source, new)
    finally:
        app.pop_screen()
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


async def _verify(app: TursoApp, source: str, new: str) -> Verification:
    s = app.services
    a = await SqlSession.open(s.platform, source, read_only=True, ledger=s.ledger, target=s.target)
    try:
        b = await SqlSession.open(s.platform, new, read_only=True, ledger=s.ledger, target=s.target)
        try:
            s.secrets.add(a.token, b.token)
            schema_a, schema_b = await a.schema(), await b.schema()
            tables_a = [n for t, n, _ in schema_a if t == "table"]
            tables_b = [n for t, n, _ in schema_b if t == "table"]
            counts_a = await a.row_counts(tables_a)
            counts_b = await b.row_counts(tables_b)
        finally:
            await b.aclose()
    finally:
        await a.aclose()
    return compare(schema_a, schema_b, counts_a, counts_b)


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

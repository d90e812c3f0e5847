"""Restore-to-timestamp wizard, keyboard only: each step is a modal awaited with ``push_screen_wait`` inside
one worker. database → time (or a local recovery point) → new name → typed confirmation → progress →
verification → point config.toml/.env at the new database. The source database is never changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tursotui.libsql import LibsqlError
from tursotui.ops.errors import InputError
from tursotui.platform import PlatformError
from tursotui.platform.models import format_timestamp
from tursotui.ui import format as fmt
from tursotui.ui.browse.session import SqlSession
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.replication import local_recovery_points
from tursotui.ui.restore_plan import (
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

if TYPE_CHECKING:
    from tursotui.ui.app import TursoApp

STEPS = ("Database", "Time", "New name", "Confirm", "Restore", "Verify")
Check = Callable[[str], str]
"""Returns the preview text for a valid value; raises InputError for a bad one."""


def step_title(index: int, title: str) -> str:
    return f"Restore · step {index + 1} of {len(STEPS)} · {title}"


@dataclass(frozen=True)
class Choice:
    id: str
    prompt: str
    disabled: bool = False


class StepScreen(ModalScreen[str | None]):
    """One step: a text to read, then either choices or a field checked as you type (esc cancels)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["modal.tcss", "restore.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="restore.cancel"),
    ]
    CURSOR_BLINK: ClassVar[bool] = True

    def __init__(
        self,
        title: str,
        body: str,
        *,
        choices: list[Choice] | None = None,
        value: str = "",
        placeholder: str = "",
        check: Check | None = None,
        warning: str = "",
        hint: str = "",
    ) -> None:
        super().__init__()
        self.step_title = title
        self.body = body
        self.choices = choices
        self.value = value
        self.placeholder = placeholder
        self.check = check
        self.warning = warning
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.step_title, classes="dialog-title", markup=False)
            yield Static(self.body, id="step-body", markup=False)
            if self.warning:
                yield Static(self.warning, id="step-warning", markup=False)
            if self.choices is not None:
                yield OptionList(
                    *(Option(Text(c.prompt), id=c.id, disabled=c.disabled) for c in self.choices),
                    id="step-options",
                )
            else:
                yield Input(self.value, placeholder=self.placeholder, id="step-input")
                yield Static("", id="step-feedback", markup=False)
            yield Label(
                self.hint
                or (
                    "enter choose · esc cancel"
                    if self.choices is not None
                    else "enter next · esc cancel"
                ),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        if self.choices is not None:
            options = self.query_one(OptionList)
            options.focus()
            options.highlighted = next(
                (i for i, c in enumerate(self.choices) if not c.disabled), None
            )
        else:
            field = self.query_one("#step-input", Input)
            field.cursor_blink = self.CURSOR_BLINK
            field.focus()
            self._feedback(field.value)

    def _feedback(self, value: str) -> bool:
        feedback = self.query_one("#step-feedback", Static)
        if self.check is None:
            return True
        if not value.strip():
            feedback.update("")
            feedback.set_class(False, "-error")
            return False
        try:
            text = self.check(value)
        except InputError as exc:
            feedback.update(str(exc))
            feedback.set_class(True, "-error")
            return False
        feedback.update(text)
        feedback.set_class(False, "-error")
        return True

    @on(Input.Changed, "#step-input")
    def _changed(self, event: Input.Changed) -> None:
        self._feedback(event.value)

    @on(Input.Submitted, "#step-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._feedback(event.value) and event.value.strip():
            self.dismiss(event.value.strip())

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ProgressScreen(ModalScreen[None]):
    """Shown while the restore runs (no keys: it closes itself)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["modal.tcss", "restore.tcss"]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.step_title = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.step_title, classes="dialog-title", markup=False)
            yield Static(self.text, id="progress-text", markup=False)

    def say(self, text: str) -> None:
        self.query_one("#progress-text", Static).update(text)


class VerifyScreen(ModalScreen[str | None]):
    """Schema equal? Row counts side by side; then what to do with config.toml/.env."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["modal.tcss", "restore.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Done", id="restore_verify.done"),
    ]

    def __init__(
        self, source: str, new: str, moment: datetime, result: Verification, choices: list[Choice]
    ) -> None:
        super().__init__()
        self.source = source
        self.new = new
        self.moment = moment
        self.result = result
        self.choices = choices

    def compose(self) -> ComposeResult:
        r = self.result
        schema = (
            "Schema: equal (sqlite_master of both)"
            if r.schema_equal
            else "Schema: DIFFERENT — " + "; ".join(r.schema_differences[:4])
        )
        with Vertical(classes="dialog"):
            yield Label(step_title(5, "Verify"), classes="dialog-title", markup=False)
            yield Static(
                f"Restored {self.source} as of {format_timestamp(self.moment)} into {self.new}.\n"
                f"{schema}\nRow counts: the source now vs the restored one as of the timestamp "
                "(a difference is expected when rows changed since).",
                id="verify-body",
                markup=False,
            )
            yield DataTable(id="verify-counts", cursor_type="none", show_cursor=False)
            yield OptionList(
                *(Option(Text(c.prompt), id=c.id, disabled=c.disabled) for c in self.choices),
                id="step-options",
            )
            yield Label("enter choose · esc done", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#verify-counts", DataTable)
        table.add_columns("Table", f"{self.source} (now)", f"{self.new}", "")
        for name, a, b in self.result.counts:
            same = "=" if a == b else "differs"
            table.add_row(
                name, "–" if a is None else f"{a:,}", "–" if b is None else f"{b:,}", same
            )
        options = self.query_one(OptionList)
        options.focus()
        options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the flow ---------------------------------------------------------------------------------------------


class Cancelled(Exception):
    pass


async def _ask(app: TursoApp, screen: ModalScreen[str | None]) -> str:
    answer = await app.push_screen_wait(screen)
    if answer is None:
        raise Cancelled
    return answer


async def run_restore_wizard(app: TursoApp) -> None:
    """The whole wizard; any error is shown and nothing is left half-changed on the source."""
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
        listed = await local_recovery_points(s.platform, name)
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
    from tursotui.ui.data import fetch_plan

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
    a = await SqlSession.open(s.platform, source, read_only=True)
    try:
        b = await SqlSession.open(s.platform, new, read_only=True)
        try:
            s.secrets = (*s.secrets, a.token, b.token)
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

    from tursotui.config import write_env_file
    from tursotui.config.envfile import AUTH_TOKEN
    from tursotui.config.write import update_config

    s = app.services
    if s.config_path is None or s.env_path is None:
        return
    minted = await s.platform.create_database_token(new)
    s.secrets = (*s.secrets, minted.jwt)
    config_path, env_path = s.config_path, s.env_path
    config_backup = await asyncio.to_thread(
        update_config,
        config_path,
        {"turso.database_name": new, "turso.database_url": url},
        backup=True,
    )
    env_backup = await asyncio.to_thread(
        write_env_file, env_path, {AUTH_TOKEN: minted.jwt}, backup=True
    )
    backups = ", ".join(str(p) for p in (config_backup, env_backup) if p) or "none (new files)"
    app.notify(
        f"config.toml and .env now point at {new}; backups: {backups}",
        timeout=8,
        markup=False,
    )

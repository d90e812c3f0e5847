"""The import wizard's own modals (the text and choice steps reuse the restore wizard's ``StepScreen``):

- :class:`PreviewScreen`: the tables and row counts of the source and, for an existing database, what is
  there already and every conflict, before anything is written;
- :class:`TaskScreen`: runs one ops call in its worker with a progress bar; esc cancels it (the ops layer
  rolls back or deletes what it created) and the screen reports how it ended;
- :class:`ResultScreen`: tables, rows and seconds of a finished import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, ProgressBar, Static
from textual.worker import Worker

from tursotui.ops.importer import ImportPlan, ImportProgress, ImportResult
from tursotui.support import humanize as fmt
from tursotui.support.humanize import home_path
from tursotui.ui.dialogs.base import MODAL_TCSS
from tursotui.ui.dialogs.choices import Choice, ChoiceScreen

T = TypeVar("T")
CSS: list[str | PurePath] = [MODAL_TCSS, "importing.tcss"]
Report = Callable[[ImportProgress], None]
Task = Callable[[Report], Awaitable[T]]
"""``task(report)``: one ops call, reporting its progress."""


def method_text(plan: ImportPlan) -> str:
    """How the rows get there, and what a failure or esc leaves behind (as the CLI says it)."""
    if plan.method == "upload":
        return "upload of a SQLite file (the database appears complete or not at all)"
    if plan.method == "dump":
        return "a SQL dump it is seeded from (the database appears complete or not at all)"
    return "one transaction: all or nothing; esc rolls back"


def progress_text(p: ImportProgress) -> str:
    if p.phase == "uploading" and p.total:
        return f"Uploading: {fmt.size(p.done)} of {fmt.size(p.total)}"
    if p.phase == "loading" and p.total:
        return f"Loading rows: {p.done:,} of {p.total:,}"
    if p.phase == "reading":
        return f"Reading the dump: {fmt.size(p.done)}"
    if p.phase == "checking":
        return "Checking row counts against the source…"
    return p.phase.capitalize()


class PreviewScreen(ChoiceScreen):
    """The plan before anything is written; the choices depend on whether there are conflicts."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="import_preview.cancel"),
    ]

    def __init__(self, title: str, plan: ImportPlan, choices: list[Choice]) -> None:
        super().__init__()
        self.step_title = title
        self.plan = plan
        self.choices = choices

    def compose(self) -> ComposeResult:
        plan, source = self.plan, self.plan.source
        kind = "SQLite database" if source.kind == "sqlite" else "SQL dump"
        where = "a NEW database" if plan.mode == "new" else "the EXISTING database"
        group = f" (group {plan.group})" if plan.group else ""
        summary = (
            f"From {home_path(source.path)} ({kind}, {fmt.size(source.size_bytes)}): "
            f"{plan.total_rows:,} rows in {len(plan.tables)} tables\n"
            f"Into {where} {plan.target}{group}\nVia  {method_text(plan)}"
        )
        with Vertical(classes="dialog"):
            yield Label(self.step_title, classes="dialog-title", markup=False)
            with VerticalScroll(id="import-preview"):
                yield Static(summary, id="preview-summary", markup=False)
                if plan.conflicts:  # first: they are what decides
                    lines = [f"{len(plan.conflicts)} CONFLICT(S): nothing can be written"]
                    lines += [f"• {c}" for c in plan.conflicts]
                    yield Static("\n".join(lines), id="preview-conflicts", markup=False)
                yield DataTable(id="preview-tables", cursor_type="none", show_cursor=False)
                if plan.notes:
                    notes = "\n".join(f"note: {n}" for n in plan.notes)
                    yield Static(notes, id="preview-notes", markup=False)
            yield self.choice_list(self.choices, "preview-options")
            yield Label("enter choose · tab scroll · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one("#preview-tables", DataTable)
        table.can_focus = False  # tab goes to the scroll, enter to the choices
        table.add_columns("Table", "Rows", "Action", f"Rows in {self.plan.target}")
        for t in self.plan.tables:
            now = f"{t.target_rows:,}" if t.action == "append" else "–"
            table.add_row(t.name, f"{t.rows:,}", t.action, now)
        self.focus_choices()


@dataclass(frozen=True)
class TaskOutcome(Generic[T]):
    value: T | None = None
    error: Exception | None = None
    cancelled: bool = False


class TaskScreen(ModalScreen[TaskOutcome[T]], Generic[T]):
    """Runs ``task`` in its worker with a progress bar; esc cancels it and waits until it has stopped."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="import_task.cancel"),
    ]

    def __init__(
        self, title: str, text: str, job: Task[T], *, cancel_text: str, final_phase: str = ""
    ) -> None:
        """``final_phase``: once the task reports it, esc no longer cancels (the import is committing)."""
        super().__init__()
        self.step_title = title
        self.text = text
        self.job = job
        self.cancel_text = cancel_text
        self.final_phase = final_phase
        self.cancelling = False
        self.last: ImportProgress | None = None
        """The last progress reported (tests wait for it)."""
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.step_title, classes="dialog-title", markup=False)
            yield Static(self.text, id="task-text", markup=False)
            yield ProgressBar(id="task-progress", show_eta=False)
            yield Static("Starting…", id="task-phase", markup=False)
            yield Label(
                "esc cancel: nothing is left written", id="task-hint", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self._worker = self.run_worker(self._run(), exit_on_error=False)

    def report(self, progress: ImportProgress) -> None:
        self.last = progress
        bar = self.query_one(ProgressBar)
        if progress.total:
            bar.update(total=progress.total, progress=progress.done)
        if not self.cancelling:
            self.query_one("#task-phase", Static).update(progress_text(progress))

    async def _run(self) -> None:
        try:
            value = await self.job(self.report)
        except asyncio.CancelledError:
            if not self.cancelling:  # the app is closing, not esc: let the cancellation go on
                raise
            self.dismiss(TaskOutcome(cancelled=True))
            return
        except Exception as exc:  # shown by the wizard (ErrorOccurred), the app keeps running
            self.dismiss(TaskOutcome(error=exc))
            return
        self.dismiss(TaskOutcome(value=value, cancelled=self.cancelling))

    def action_cancel(self) -> None:
        if self.cancelling or self._worker is None:
            return
        if self.final_phase and self.last is not None and self.last.phase == self.final_phase:
            self.notify("Too late to cancel: the import is committing", timeout=3, markup=False)
            return
        self.cancelling = True
        self.query_one("#task-phase", Static).update(self.cancel_text)
        self.query_one("#task-hint", Label).update("cancelling: wait for it to stop")
        self._worker.cancel()


class ResultScreen(ModalScreen[None]):
    """A finished import: rows per table (verified against the source) and the time it took."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", priority=True, id="import_result.close"),
    ]

    def __init__(self, title: str, plan: ImportPlan, result: ImportResult) -> None:
        super().__init__()
        self.step_title = title
        self.plan = plan
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        where = "the new database" if r.mode == "new" else "the existing database"
        text = (
            f"Imported {r.rows:,} rows in {len(r.tables)} tables into {where} {r.target} "
            f"in {r.seconds:.1f} s.\nRow counts verified against {home_path(self.plan.source.path)}."
        )
        with Vertical(classes="dialog"):
            yield Label(self.step_title, classes="dialog-title", markup=False)
            yield Static(text, id="result-summary", markup=False)
            yield DataTable(id="result-tables", cursor_type="none", show_cursor=False)
            yield Label("enter/esc close", classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one("#result-tables", DataTable)
        table.can_focus = False  # enter closes the screen
        table.add_columns("Table", "Rows imported")
        for name, rows in self.result.tables.items():
            table.add_row(name, f"{rows:,}")

    def action_close(self) -> None:
        self.dismiss(None)

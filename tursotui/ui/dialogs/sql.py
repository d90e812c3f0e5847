"""The SQL console's modals: the full-scan warning, a query plan, export path, statement history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tursotui.ops.errors import InputError
from tursotui.ops.sql.export import ExportFormat, resolve_export_path
from tursotui.support.humanize import home_path
from tursotui.ui.dialogs.base import MODAL_TCSS

CSS: list[str | PurePath] = [MODAL_TCSS, "sql.tcss"]


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class ScanWarningScreen(ModalScreen[bool]):
    """EXPLAIN QUERY PLAN found a full table scan: True to go on anyway (run the statement, or search).

    ``what`` says what scans (``This statement``, ``Searching phone``), ``proceed`` names the choice that goes on,
    ``index`` suggests the index that would avoid the scan (a generic hint when empty), ``warning`` (when given)
    is said first, e.g. that a transaction is open and the server will not wait long for the answer."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "Cancel", id="scan.cancel"),
        Binding("y", "answer(True)", "Go on anyway", id="scan.proceed"),
    ]

    def __init__(
        self,
        statement: str,
        tables: Sequence[str],
        plan: str,
        *,
        what: str = "This statement",
        proceed: str = "Run anyway",
        index: str = "",
        warning: str = "",
    ) -> None:
        super().__init__()
        self.warning = warning
        self.statement = statement
        self.tables = list(tables)
        self.plan = plan
        self.what = what
        self.proceed = proceed
        self.index = index

    def compose(self) -> ComposeResult:
        names = ", ".join(self.tables)
        with Vertical(classes="dialog", id="scan-dialog"):
            yield Label("Full table scan", classes="dialog-title", markup=False)
            if self.warning:
                yield Static(
                    self.warning, markup=False, id="scan-warning", classes="dialog-warning"
                )
            yield Static(
                f"{self.what} scans {names} without an index: every row is read "
                "(and counted as rows read on Turso Cloud).",
                markup=False,
                id="scan-body",
            )
            yield Static(_one_line(self.statement), markup=False, id="scan-sql")
            with VerticalScroll(id="scan-plan"):
                yield Static(self.plan, markup=False)
            yield Static(
                f"Consider an index: {self.index or 'CREATE INDEX … ON <table>(<column>)'}",
                markup=False,
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (n)", id="scan-cancel")
                yield Button(f"{self.proceed} (y)", id="scan-run", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#scan-cancel", Button).focus()

    def action_answer(self, proceed: bool) -> None:
        self.dismiss(proceed)

    @on(Button.Pressed, "#scan-run")
    def _run(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#scan-cancel")
    def _cancel(self) -> None:
        self.dismiss(False)


class PlanScreen(ModalScreen[None]):
    """EXPLAIN QUERY PLAN of the editor's statements."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", key_display="esc", id="plan.close"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="plan-dialog"):
            yield Label("Query plan", classes="dialog-title", markup=False)
            with VerticalScroll(id="plan-scroll"):
                yield Static(self.text, markup=False, id="plan-text")
            yield Label("esc close", classes="dialog-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class ExportScreen(ModalScreen[tuple[Path, ExportFormat] | None]):
    """The export path: ``.csv`` or ``.json``, relative to the exports folder; checked before closing."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(self, default: Path, base: Path, rows: int) -> None:
        super().__init__()
        self.default = default
        self.base = base
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label("Export results", classes="dialog-title", markup=False)
            yield Static(
                f"{self.rows} row{'s' if self.rows != 1 else ''} to a .csv or .json file "
                f"(relative paths are under {home_path(self.base)}).",
                markup=False,
            )
            yield Input(value=str(self.default), id="export-path")
            yield Static("", markup=False, id="export-error")
            yield Label("enter export · esc cancel", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            chosen = resolve_export_path(event.value, self.base)
        except InputError as exc:
            self.query_one("#export-error", Static).update(str(exc))
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HistoryScreen(ModalScreen[str | None]):
    """Earlier statements, newest first: up/down to move, enter to load into the editor."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="history.cancel"),
    ]

    def __init__(self, entries: Sequence[str]) -> None:
        super().__init__()
        self.entries = list(reversed(entries))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="history-dialog"):
            yield Label("SQL history", classes="dialog-title", markup=False)
            if self.entries:
                yield OptionList(
                    *(Option(_one_line(e, 64), id=str(i)) for i, e in enumerate(self.entries)),
                    id="history-list",
                )
            else:
                yield Static("No statements run yet.", markup=False)
            yield Label("↑↓ move · enter load · esc cancel", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        if self.entries:
            self.query_one("#history-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#history-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.entries[int(event.option_id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)

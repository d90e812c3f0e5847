"""Row modals of the table browser: detail, editor (insert/edit) and the SQL confirmation."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tursotui.libsql.values import Value
from tursotui.ops.browse.query import NULL_WORD, Column, Query, display_value, sql_literal
from tursotui.ui.actions import ACTIONS
from tursotui.ui.dialogs.base import MODAL_TCSS


def sql_value(value: Value) -> str:
    """A bound value as SQL would show it (for the confirmation only: it is still bound)."""
    return sql_literal(value)


def detail_hint() -> str:
    """The row detail's hint: its own key, then the browser's keys for the row (from the action registry, so
    it names the keys that really edit and delete)."""
    keys = {spec.id: spec.shown_key for spec in ACTIONS}
    return (
        f"esc close · then in the browser: {keys['browser.edit']} edit · "
        f"{keys['browser.delete']} delete"
    )


class RowDetailScreen(ModalScreen[None]):
    """Every column of one row, full width (esc closes)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "row.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="row.close"),
    ]

    def __init__(self, table: str, row: dict[str, Value]) -> None:
        super().__init__()
        self.table = table
        self.row = row

    def compose(self) -> ComposeResult:
        width = max((len(k) for k in self.row), default=4)
        lines = [f"{k:<{width}}  {display_value(v)}" for k, v in self.row.items()]
        with Vertical(classes="dialog"):
            yield Label(f"Row of {self.table}", classes="dialog-title", markup=False)
            with VerticalScroll(id="row-scroll"):
                yield Static("\n".join(lines), id="row-detail", markup=False)
            yield Label(detail_hint(), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#row-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class RowEditorScreen(ModalScreen[dict[str, str] | None]):
    """One field per column; returns the typed texts (``NULL`` means SQL NULL) or None."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "row.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="row_editor.cancel"),
        Binding("ctrl+s", "save", "Review SQL", id="row_editor.save"),
    ]
    CURSOR_BLINK: ClassVar[bool] = True

    def __init__(self, title: str, columns: tuple[Column, ...], values: dict[str, Value]) -> None:
        super().__init__()
        self.editor_title = title
        self.columns = columns
        self.values = values

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.editor_title, classes="dialog-title", markup=False)
            with VerticalScroll(id="row-fields"):
                for i, column in enumerate(self.columns):
                    label = f"{column.name} {column.type}".strip()
                    yield Label(label, classes="row-field-label", markup=False)
                    value = self.values.get(column.name, "")
                    shown = display_value(value) if column.name in self.values else ""
                    yield Input(shown, id=f"field-{i}", classes="row-field")
            yield Label(
                f"ctrl+s review the SQL · esc cancel · {NULL_WORD} = null, empty = default",
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.CURSOR_BLINK
        fields = list(self.query(Input))
        if fields:
            fields[0].focus()

    def typed(self) -> dict[str, str]:
        return {
            c.name: self.query_one(f"#field-{i}", Input).value for i, c in enumerate(self.columns)
        }

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.dismiss(self.typed())

    def action_cancel(self) -> None:
        self.dismiss(None)


class SqlConfirmScreen(ModalScreen[bool]):
    """The exact SQL and its bound values, and which row it changes (``row``: its identifying columns);
    runs only on y/enter."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "row.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel", id="sql_confirm.cancel"),
        Binding("y", "run", "Run", id="sql_confirm.run"),
    ]

    def __init__(
        self, title: str, query: Query, *, destructive: bool = False, row: str = ""
    ) -> None:
        super().__init__(classes="-destructive" if destructive else "")
        self.confirm_title = title
        self.query_ = query
        self.row = row

    def compose(self) -> ComposeResult:
        values = "\n".join(
            f"  ?{i} = {sql_value(v)}" for i, v in enumerate(self.query_.args, start=1)
        )
        with Vertical(classes="dialog"):
            yield Label(self.confirm_title, classes="dialog-title", markup=False)
            if self.row:
                yield Static(f"Row: {self.row}", id="sql-row", markup=False)
            yield Static(self.query_.sql, id="sql-text", markup=False)
            yield Label("Bound values:" if values else "No bound values", markup=False)
            if values:
                yield Static(values, id="sql-args", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (n)", id="sql-cancel")
                yield Button("Run (y)", id="sql-run", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#sql-run", Button).focus()

    @on(Button.Pressed, "#sql-run")
    def action_run(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#sql-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

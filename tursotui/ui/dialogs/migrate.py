"""The Fleet health tab's dialogs: the typed-count confirmation of an apply ("type 48 to apply 2 migrations to
48 databases") and a drift group's schema diff (unified, normalised DDL), scrolled by key."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tursotui.ops.migrate.drift import SchemaGroup
from tursotui.ui.dialogs.base import MODAL_TCSS
from tursotui.ui.dialogs.bulk import names_preview

DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan"}


class ApplyConfirmScreen(ModalScreen[bool]):
    """True only when the typed text is the count of databases."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "migrate.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="migrate.confirm.cancel"),
    ]
    CURSOR_BLINK: ClassVar[bool] = True

    def __init__(self, names: list[str], migrations: int, hidden: int = 0) -> None:
        super().__init__()
        self.names = names
        self.migrations = migrations
        self.hidden = hidden

    @property
    def count(self) -> int:
        return len(self.names)

    def compose(self) -> ComposeResult:
        noun = f"{self.count:,} database{'s' if self.count != 1 else ''}"
        with Vertical(classes="dialog"):
            yield Label(f"Apply pending migrations to {noun}", classes="dialog-title", markup=False)
            yield Static(
                f"Up to {self.migrations} migration{'s' if self.migrations != 1 else ''}, each "
                f"database in one transaction (all or nothing): {names_preview(self.names)}.",
                markup=False,
                id="migrate-body",
            )
            if self.hidden:
                yield Static(
                    f"{self.hidden:,} of them are not listed by the current filter.",
                    markup=False,
                    id="migrate-hidden",
                )
            yield Label(f"Type {self.count} to apply:", id="migrate-prompt")
            yield Input(placeholder=str(self.count), id="migrate-count", compact=True)
            yield Static("", markup=False, id="migrate-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="migrate-cancel")
                yield Button("Apply", id="migrate-ok", variant="error", disabled=True)

    def on_mount(self) -> None:
        field = self.query_one("#migrate-count", Input)
        field.cursor_blink = self.CURSOR_BLINK
        field.focus()

    @property
    def typed(self) -> bool:
        return self.query_one("#migrate-count", Input).value.strip() == str(self.count)

    @on(Input.Changed, "#migrate-count")
    def _changed(self) -> None:
        self.query_one("#migrate-ok", Button).disabled = not self.typed

    @on(Input.Submitted, "#migrate-count")
    @on(Button.Pressed, "#migrate-ok")
    def _ok(self) -> None:
        if not self.typed:
            self.query_one("#migrate-message", Static).update(
                f"Type {self.count} exactly to confirm"
            )
            return
        self.dismiss(True)

    @on(Button.Pressed, "#migrate-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)


def diff_text(group: SchemaGroup) -> Text:
    text = Text()
    for line in group.diff:
        text.append(line + "\n", style=DIFF_STYLES.get(line[:1], ""))
    return text


class SchemaDiffScreen(ModalScreen[None]):
    """One drift group: its databases and the diff from the expected schema (up/down/page keys scroll)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "migrate.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="migrate.diff.close"),
    ]

    def __init__(self, group: SchemaGroup) -> None:
        super().__init__()
        self.group = group

    def compose(self) -> ComposeResult:
        group = self.group
        count = len(group.databases)
        with Vertical(classes="dialog"):
            yield Label(
                f"Schema {group.fingerprint}: {count:,} database{'s' if count != 1 else ''}",
                classes="dialog-title",
                markup=False,
            )
            yield Static(names_preview(list(group.databases), 6), markup=False, id="diff-names")
            with VerticalScroll(id="diff-scroll"):
                yield Static(diff_text(group), id="diff-lines")
            yield Label("↑↓ pgup pgdn scroll · esc close", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#diff-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)

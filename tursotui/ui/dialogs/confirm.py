"""Typed confirmation for adding or removing a replica location: type the location code to confirm. An addition past
the plan's location limit says so first (``warning``, from ops/locations.py)."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tursotui.ui.dialogs.base import MODAL_TCSS

DEPRECATION_NOTE = (
    "Edge replicas are deprecated for new users on Turso Cloud: prefer embedded replicas "
    "(a local SQLite file that syncs) for reads close to your users."
)

Change = Literal["add", "remove"]


class ConfirmLocationScreen(ModalScreen[bool]):
    """Returns True only when the typed text equals the location code and the user confirms."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "confirm.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
    ]
    CURSOR_BLINK: ClassVar[bool] = True
    """Tests switch the cursor blink off for deterministic snapshots."""

    def __init__(
        self,
        change: Change,
        location: str,
        group: str,
        databases: list[str],
        *,
        description: str = "",
        cloud: bool = False,
        warning: str = "",
    ) -> None:
        super().__init__(classes=f"-{change}")
        self.change: Change = change
        self.location = location
        self.group = group
        self.databases = databases
        self.description = description
        self.cloud = cloud
        self.warning = warning

    def compose(self) -> ComposeResult:
        verb = "Add" if self.change == "add" else "Remove"
        where = f"{self.location} ({self.description})" if self.description else self.location
        names = ", ".join(self.databases) or "none"
        if self.change == "add":
            body = (
                f"Add replica location {where} to group {self.group}.\n"
                f"Every database of the group gets a replica there: {names}."
            )
        else:
            body = (
                f"Remove replica location {where} from group {self.group}.\n"
                f"The replicas of {names} there are deleted; clients there fall back "
                "to another location."
            )
        with Vertical(classes="dialog"):
            yield Label(f"{verb} replica location", classes="dialog-title", markup=False)
            if self.warning:
                yield Static(f"⚠ {self.warning}", markup=False, id="confirm-warning")
            yield Static(body, markup=False, id="confirm-body")
            if self.cloud:
                yield Static(DEPRECATION_NOTE, markup=False, id="confirm-note")
            yield Label(f"Type {self.location} to confirm:", id="confirm-prompt", markup=False)
            yield Input(placeholder=self.location, id="confirm-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="confirm-cancel")
                yield Button(
                    verb,
                    id="confirm-ok",
                    variant="error" if self.change == "remove" else "primary",
                    disabled=True,
                )

    def on_mount(self) -> None:
        field = self.query_one("#confirm-input", Input)
        field.cursor_blink = self.CURSOR_BLINK
        field.focus()

    @property
    def confirmed_text(self) -> bool:
        return self.query_one("#confirm-input", Input).value.strip() == self.location

    @on(Input.Changed, "#confirm-input")
    def _typed(self) -> None:
        self.query_one("#confirm-ok", Button).disabled = not self.confirmed_text

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self) -> None:
        if self.confirmed_text:
            self.dismiss(True)
        else:
            self.notify(
                f"Type {self.location} exactly to confirm",
                severity="warning",
                timeout=3,
                markup=False,
            )

    @on(Button.Pressed, "#confirm-ok")
    def _ok(self) -> None:
        if self.confirmed_text:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

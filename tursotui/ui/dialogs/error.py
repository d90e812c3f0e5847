"""The copyable error modal: the full message, scrollable; ``c`` copies it (OSC 52, works over SSH)."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tursotui.ui.dialogs.base import MODAL_TCSS


class ErrorScreen(ModalScreen[None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "error.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", tooltip="Copy the error text (OSC 52)", id="error.copy"),
        Binding("escape,enter,q", "dismiss_error", "Close", key_display="esc", id="error.close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.error_title = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.error_title, classes="dialog-title", markup=False)
            with VerticalScroll(id="error-scroll"):
                yield Static(self.text, markup=False, id="error-text")
            yield Label("c copy · esc close", classes="dialog-hint", markup=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("Error text copied to the clipboard (OSC 52)", timeout=3, markup=False)

    def action_dismiss_error(self) -> None:
        self.dismiss(None)

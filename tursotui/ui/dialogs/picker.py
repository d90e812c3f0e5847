"""Pick a location (to add or to remove) from a list; the primary is shown but cannot be picked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tursotui.ui.dialogs.base import MODAL_TCSS


@dataclass(frozen=True)
class LocationChoice:
    code: str
    description: str = ""
    disabled_reason: str = ""

    @property
    def prompt(self) -> str:
        text = f"{self.code:<22} {self.description}".rstrip()
        return f"{text}  ({self.disabled_reason})" if self.disabled_reason else text


class LocationPickerScreen(ModalScreen[str | None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "picker.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(self, title: str, choices: list[LocationChoice], hint: str = "") -> None:
        super().__init__()
        self.picker_title = title
        self.choices = choices
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.picker_title, classes="dialog-title", markup=False)
            yield OptionList(
                *(
                    Option(Text(c.prompt), id=c.code, disabled=bool(c.disabled_reason))
                    for c in self.choices
                ),
                id="picker-options",
            )
            yield Label(self.hint or "enter pick · esc cancel", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        first = next((i for i, c in enumerate(self.choices) if not c.disabled_reason), None)
        options.highlighted = first

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

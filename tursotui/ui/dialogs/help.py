"""The ``?`` overlay: the keys of the focused pane first, then the keys that work everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tursotui.ui.dialogs.base import MODAL_TCSS


@dataclass(frozen=True)
class HelpEntry:
    key: str
    description: str


@dataclass(frozen=True)
class HelpSection:
    title: str
    entries: tuple[HelpEntry, ...]


KEY_WIDTH = 12


def section_content(section: HelpSection) -> Content:
    """One line per key: the key in the theme's warning colour, then what it does."""
    lines = [
        Content.assemble((entry.key.ljust(KEY_WIDTH), "bold $warning"), entry.description)
        for entry in section.entries
    ]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "help.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q,f1", "close", "Close", key_display="esc", id="help.close"),
    ]

    def __init__(self, sections: list[HelpSection], note: str = "") -> None:
        super().__init__()
        self.sections = sections
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Keys", classes="dialog-title", markup=False)
            if self.note:
                yield Static(self.note, markup=False, id="help-note")
            with VerticalScroll(id="help-scroll"):
                for section in self.sections:
                    yield Label(section.title, classes="help-section", markup=False)
                    yield Static(section_content(section), classes="help-keys")
            yield Label("esc close · ctrl+p or : all commands", classes="dialog-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

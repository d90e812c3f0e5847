"""The dialogs that end in a list of choices (restore and import steps, verification, import preview).

A :class:`ChoiceScreen` shows its :class:`Choice` list with :meth:`ChoiceScreen.choice_list`, focuses it on
mount with the first enabled choice highlighted, and dismisses with the picked choice's id, or ``None`` on esc.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Choice:
    id: str
    prompt: str
    disabled: bool = False


class ChoiceScreen(ModalScreen[str | None]):
    """Subclasses bind ``escape`` to ``cancel`` (each with its own label) and yield :meth:`choice_list`."""

    def choice_list(self, choices: list[Choice], widget_id: str) -> OptionList:
        return OptionList(
            *(Option(Text(c.prompt), id=c.id, disabled=c.disabled) for c in choices),
            id=widget_id,
        )

    def focus_choices(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        options.highlighted = next(
            (i for i, o in enumerate(options.options) if not o.disabled), None
        )

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

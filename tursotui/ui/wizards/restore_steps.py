"""The restore wizard's step dialogs: ``StepScreen`` shows a text to read, then either choices or a field
checked as you type (its preview or its error under it), and ``ProgressScreen`` stays up while the restore runs.
Every step is titled ``Restore · step N of 6 · …`` by ``step_title``; the flow that chains them is in
``restore.py`` and the last step, the verification, in ``restore_verify.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tursotui.ops.errors import InputError
from tursotui.ui.dialogs.base import MODAL_TCSS
from tursotui.ui.dialogs.choices import Choice, ChoiceScreen

STEPS = ("Database", "Time", "New name", "Confirm", "Restore", "Verify")
Check = Callable[[str], str]
"""Returns the preview text for a valid value; raises InputError for a bad one."""


def step_title(index: int, title: str) -> str:
    return f"Restore · step {index + 1} of {len(STEPS)} · {title}"


class StepScreen(ChoiceScreen):
    """One step: a text to read, then either choices or a field checked as you type (esc cancels)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "restore.tcss"]
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
                yield self.choice_list(self.choices, "step-options")
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
            self.focus_choices()
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


class ProgressScreen(ModalScreen[None]):
    """Shown while the restore runs (no keys: it closes itself)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "restore.tcss"]

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

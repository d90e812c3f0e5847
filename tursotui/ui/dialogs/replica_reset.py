"""Typed confirmation for resetting the local embedded replica: type the replica file's name.

The same dialog, keys and checks as the replica-location confirmations (:class:`ConfirmLocationScreen`); only
the text differs. Returns True only when the typed text equals the file name and the user confirms.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tursotui.support.humanize import home_path
from tursotui.ui.dialogs.confirm import ConfirmLocationScreen


class ConfirmReplicaResetScreen(ConfirmLocationScreen):
    def __init__(self, path: Path, url: str, size: str) -> None:
        super().__init__("remove", path.name, "", [])
        self.path = path
        self.url = url
        self.size_text = size

    def compose(self) -> ComposeResult:
        body = (
            f"Delete the replica file {home_path(self.path)} ({self.size_text}) and its libsql "
            f"companion files, then sync it again from {self.url}.\n"
            "Until that sync finishes there is no offline copy: if the remote is down, none at all."
        )
        with Vertical(classes="dialog"):
            yield Label("Reset the local replica", classes="dialog-title", markup=False)
            yield Static(body, markup=False, id="confirm-body")
            yield Label(f"Type {self.location} to confirm:", id="confirm-prompt", markup=False)
            yield Input(placeholder=self.location, id="confirm-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="confirm-cancel")
                yield Button("Reset", id="confirm-ok", variant="error", disabled=True)

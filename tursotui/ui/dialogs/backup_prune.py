"""Typed confirmation for pruning the backups folder: type ``prune`` to delete the listed files.

The same dialog, keys and checks as the replica-location confirmations (:class:`ConfirmLocationScreen`); only
the text differs. Returns True only when the typed word matches and the user confirms.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tursotui.ops.backups import BackupFile
from tursotui.support.humanize import home_path, size
from tursotui.ui.dialogs.confirm import ConfirmLocationScreen

WORD = "prune"
SHOWN = 6


class ConfirmPruneScreen(ConfirmLocationScreen):
    def __init__(self, directory: Path, backups: list[BackupFile], retention_days: int) -> None:
        super().__init__("remove", WORD, "", [])
        self.directory = directory
        self.backups = backups
        self.retention_days = retention_days

    def compose(self) -> ComposeResult:
        total = sum(b.size_bytes for b in self.backups)
        names = "\n".join(f"  {b.path.name}" for b in self.backups[:SHOWN])
        more = f"\n  …and {len(self.backups) - SHOWN} more" if len(self.backups) > SHOWN else ""
        body = (
            f"Delete {len(self.backups)} backup{'s' if len(self.backups) != 1 else ''} "
            f"({size(total)}) older than {self.retention_days} days from "
            f"{home_path(self.directory)}:\n{names}{more}\n"
            "The newest backup of each database is always kept."
        )
        with Vertical(classes="dialog"):
            yield Label("Prune old backups", classes="dialog-title", markup=False)
            yield Static(body, markup=False, id="confirm-body")
            yield Label(f"Type {WORD} to confirm:", id="confirm-prompt", markup=False)
            yield Input(placeholder=WORD, id="confirm-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="confirm-cancel")
                yield Button("Prune", id="confirm-ok", variant="error", disabled=True)

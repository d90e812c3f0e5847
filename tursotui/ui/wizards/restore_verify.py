"""The restore wizard's last step: was the schema restored equal (sqlite_master of both), the row counts of
every table in the source now and in the restored database as of the timestamp, side by side, and then what to
do with config.toml/.env (point them at the new database, or leave them). The numbers are gathered by the flow
in ``restore.py``; this screen only shows them and returns the choice."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from tursotui.ops.restore import Verification
from tursotui.platform.models import format_timestamp
from tursotui.ui.dialogs.base import MODAL_TCSS
from tursotui.ui.dialogs.choices import Choice, ChoiceScreen
from tursotui.ui.wizards.restore_steps import step_title


class VerifyScreen(ChoiceScreen):
    """Schema equal? Row counts side by side; then what to do with config.toml/.env."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "restore.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Done", id="restore_verify.done"),
    ]

    def __init__(
        self, source: str, new: str, moment: datetime, result: Verification, choices: list[Choice]
    ) -> None:
        super().__init__()
        self.source = source
        self.new = new
        self.moment = moment
        self.result = result
        self.choices = choices

    def compose(self) -> ComposeResult:
        r = self.result
        schema = (
            "Schema: equal (sqlite_master of both)"
            if r.schema_equal
            else "Schema: DIFFERENT — " + "; ".join(r.schema_differences[:4])
        )
        with Vertical(classes="dialog"):
            yield Label(step_title(5, "Verify"), classes="dialog-title", markup=False)
            yield Static(
                f"Restored {self.source} as of {format_timestamp(self.moment)} into {self.new}.\n"
                f"{schema}\nRow counts: the source now vs the restored one as of the timestamp "
                "(a difference is expected when rows changed since).",
                id="verify-body",
                markup=False,
            )
            yield DataTable(id="verify-counts", cursor_type="none", show_cursor=False)
            yield self.choice_list(self.choices, "step-options")
            yield Label("enter choose · esc done", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#verify-counts", DataTable)
        table.add_columns("Table", f"{self.source} (now)", f"{self.new}", "")
        for name, a, b in self.result.counts:
            same = "=" if a == b else "differs"
            table.add_row(
                name, "–" if a is None else f"{a:,}", "–" if b is None else f"{b:,}", same
            )
        self.focus_choices()

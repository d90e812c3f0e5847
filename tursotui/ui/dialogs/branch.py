"""Branch the selected database (``B`` on the Databases pane), as ``tursotui db branch``: a NEW database copied
from it now or as of a time, in its group or another (``ops/branch.py``). The form checks the name and the
time as the CLI does before anything is asked of the server; then the branch is planned (window, age, the
local Turso's recovery point) and made, and the pane refreshes. The source is only read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tursotui.ops.branch import check_branch_name, plan_branch, run_branch
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.names import check_name
from tursotui.ops.restore import RestoreTime, read_restore_time
from tursotui.platform import PlatformError
from tursotui.ui.dialogs.base import MODAL_TCSS
from tursotui.ui.messages import ErrorOccurred, RefreshRequested

if TYPE_CHECKING:
    from textual.widget import Widget

    from tursotui.platform import Database
    from tursotui.ui.services import Services

TIME_HINT = "empty: now · 2h ago · 02:59 · 2026-12-05T01:59:00Z"


@dataclass(frozen=True)
class BranchRequest:
    name: str
    when: RestoreTime | None
    group: str | None


def read_request(source: str, name: str, time_text: str, group: str) -> BranchRequest:
    """The form's values checked as ``tursotui db branch`` checks them (:class:`InputError` names the bad one)."""
    checked = check_branch_name(source, name)
    when = read_restore_time(time_text) if time_text.strip() else None
    chosen = check_name(group.strip(), "group") if group.strip() else None
    return BranchRequest(checked, when, chosen)


class BranchScreen(ModalScreen[BranchRequest | None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "branch.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="branch.cancel")
    ]

    def __init__(self, source: str, group: str) -> None:
        super().__init__()
        self.source = source
        self.group = group

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Branch database {self.source}", classes="dialog-title", markup=False)
            with Horizontal(classes="branch-row"):
                yield Label("New database", markup=False)
                yield Input(f"{self.source}-branch"[:64], id="branch-name")
            with Horizontal(classes="branch-row"):
                yield Label("As of", markup=False)
                yield Input(placeholder=TIME_HINT, id="branch-time")
            with Horizontal(classes="branch-row"):
                yield Label("Group", markup=False)
                yield Input(placeholder=self.group or "the source's", id="branch-group")
            yield Static("", id="branch-message", markup=False)
            yield Static(
                f"{self.source} is only read. An encrypted source is branched with its key.",
                classes="dialog-hint",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="branch-cancel")
                yield Button("Branch", id="branch-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#branch-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#branch-ok")
    def _submit(self) -> None:
        try:
            request = read_request(
                self.source,
                self.query_one("#branch-name", Input).value,
                self.query_one("#branch-time", Input).value,
                self.query_one("#branch-group", Input).value,
            )
        except InputError as exc:
            self.query_one("#branch-message", Static).update(str(exc))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#branch-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def branch_selected(host: Widget, services: Services, source: Database) -> None:
    """The whole action, from a worker: the form, then plan and make the branch; failures as error modals."""
    request = await host.app.push_screen_wait(BranchScreen(source.name, source.group))
    if request is None:
        host.notify("Nothing changed", timeout=3, markup=False)
        return
    platform = services.platform
    try:
        plan = await plan_branch(
            platform,
            source.name,
            request.name,
            when=request.when,
            group=request.group,
            local=services.local_turso,
        )
        result = await run_branch(platform, plan)
    except (InputError, OpsError, PlatformError) as exc:
        host.post_message(ErrorOccurred(f"No branch of {source.name}", str(exc), modal=True))
        return
    moment = plan.restore.when.describe() if plan.restore else "now"
    text = f"Branched {source.name} ({moment}) into {plan.name} in group {plan.group}"
    if result.key_variable:
        text += f"; it has {source.name}'s key: set {result.key_variable} to reach it later"
    host.notify(text, timeout=6, markup=False)
    host.post_message(RefreshRequested())


__all__ = ["BranchRequest", "BranchScreen", "branch_selected", "read_request"]

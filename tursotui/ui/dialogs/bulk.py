"""The bulk action dialogs: which action to run on the selected databases, then a confirmation that is typed as
the count ("type 312 to delete 312 databases"), with what is refused up front and, for a mint, the tokens'
lifetime and access."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tursotui.ops.bulk import Action, BulkPlan, check_bulk_expiration
from tursotui.ops.errors import InputError
from tursotui.ops.tokens import Expiration, parse_expiration
from tursotui.ui.dialogs.base import MODAL_TCSS
from tursotui.ui.dialogs.choices import Choice, ChoiceScreen

ACTION_TITLES: dict[Action, str] = {
    "backup": "Verified backup (.sql) of each",
    "mint": "Mint a database token for each (ledger entry, expiry)",
    "rotate": "Rotate the tokens of their groups (each group once)",
    "delete": "Delete them (refused under delete protection)",
}
BUTTONS: dict[Action, str] = {
    "backup": "Back up",
    "mint": "Mint",
    "rotate": "Rotate",
    "delete": "Delete",
}
WRITES: frozenset[Action] = frozenset({"mint", "rotate", "delete"})
SHOWN_NAMES = 4


def names_preview(names: tuple[str, ...] | list[str], limit: int = SHOWN_NAMES) -> str:
    head = ", ".join(names[:limit])
    more = len(names) - limit
    return f"{head}, … and {more:,} more" if more > 0 else head


class BulkChoiceScreen(ChoiceScreen):
    """Which bulk action, for ``count`` selected databases (writes disabled in read-only mode)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "bulk.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk.choice.cancel"),
    ]

    def __init__(self, count: int, hidden: int, *, read_only: bool) -> None:
        super().__init__()
        self.count = count
        self.hidden = hidden
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        noun = f"{self.count:,} selected database{'s' if self.count != 1 else ''}"
        with Vertical(classes="dialog"):
            yield Label(f"Bulk action on {noun}", classes="dialog-title", markup=False)
            if self.hidden:
                yield Static(
                    f"{self.hidden:,} of them are not listed by the current filter.",
                    markup=False,
                    id="bulk-hidden",
                )
            suffix = " (read-only mode)"
            choices = [
                Choice(
                    action,
                    title + (suffix if self.read_only and action in WRITES else ""),
                    disabled=self.read_only and action in WRITES,
                )
                for action, title in ACTION_TITLES.items()
            ]
            yield self.choice_list(choices, "bulk-actions")
            yield Label("enter pick · esc cancel", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.focus_choices()


@dataclass(frozen=True)
class BulkAnswer:
    expiration: Expiration | None = None
    read_only: bool = False


class BulkConfirmScreen(ModalScreen[BulkAnswer | None]):
    """Returns a :class:`BulkAnswer` only when the typed text is the count (and a mint's lifetime parses)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "bulk.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk.confirm.cancel"),
    ]
    CURSOR_BLINK: ClassVar[bool] = True
    """Tests switch the cursor blink off for deterministic snapshots."""

    def __init__(self, bulk: BulkPlan, *, expiration: str = "90d", note: str = "") -> None:
        super().__init__(classes=f"-{bulk.action}")
        self.bulk = bulk
        self.expiration = expiration
        self.note = note

    def compose(self) -> ComposeResult:
        bulk = self.bulk
        verb = {"backup": "Back up", "mint": "Mint tokens for", "rotate": "Rotate the tokens of"}
        title = f"{verb.get(bulk.action, 'Delete')} {bulk.noun}"
        with Vertical(classes="dialog"):
            yield Label(title, classes="dialog-title", markup=False)
            yield Static(self._body(), markup=False, id="bulk-body")
            if bulk.refused:
                refused = [r.name for r in bulk.refused]
                yield Static(
                    f"Refused ({len(refused):,}, {bulk.refusal}): {names_preview(refused, 3)}",
                    markup=False,
                    id="bulk-refused",
                )
            if bulk.action == "mint":
                with Horizontal(classes="bulk-row"):
                    yield Label("Expires after", markup=False)
                    yield Input(self.expiration, id="bulk-expiration", compact=True)
                    yield Checkbox("read-only", id="bulk-read-only")
            yield Label(bulk.prompt()[:1].upper() + bulk.prompt()[1:] + ":", id="bulk-prompt")
            yield Input(placeholder=str(bulk.count), id="bulk-count", compact=True)
            yield Static("", markup=False, id="bulk-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="bulk-cancel")
                yield Button(
                    BUTTONS[bulk.action],
                    id="bulk-ok",
                    variant="error" if bulk.action in WRITES else "primary",
                    disabled=True,
                )

    def _body(self) -> str:
        bulk = self.bulk
        names = names_preview(list(bulk.items))
        if bulk.action == "backup":
            return f"A verified .sql backup of each, into the backups folder: {names}."
        if bulk.action == "mint":
            return (
                f"A new database token for each, recorded in the token ledger (metadata only); the tokens "
                f"are written to one file (0600) in the data folder, never shown: {names}."
            )
        if bulk.action == "rotate":
            return (
                f"Every token of every database of these groups stops working ({bulk.databases:,} "
                f"databases), and every group token: {names}.{self.note}"
            )
        return f"Deleted for good, with their data (no undo): {names}."

    def on_mount(self) -> None:
        field = self.query_one("#bulk-count", Input)
        field.cursor_blink = self.CURSOR_BLINK
        for other in self.query(Input):
            other.cursor_blink = self.CURSOR_BLINK
        field.focus()

    @property
    def typed(self) -> bool:
        return self.query_one("#bulk-count", Input).value.strip() == str(self.bulk.count)

    @on(Input.Changed, "#bulk-count")
    def _changed(self) -> None:
        self.query_one("#bulk-ok", Button).disabled = not self.typed

    @on(Input.Submitted, "#bulk-count")
    @on(Button.Pressed, "#bulk-ok")
    def _ok(self) -> None:
        if not self.typed:
            self._say(f"Type {self.bulk.count} exactly to confirm")
            return
        answer = BulkAnswer()
        if self.bulk.action == "mint":
            try:
                expiration = check_bulk_expiration(
                    parse_expiration(self.query_one("#bulk-expiration", Input).value)
                )
            except InputError as exc:
                self._say(f"Expires after: {exc.message}")
                self.query_one("#bulk-expiration", Input).focus()
                return
            read_only = self.query_one("#bulk-read-only", Checkbox).value
            answer = BulkAnswer(expiration, read_only)
        self.dismiss(answer)

    def _say(self, text: str) -> None:
        self.query_one("#bulk-message", Static).update(text)

    @on(Button.Pressed, "#bulk-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Change a database's configuration (``ops/dbconfig.py``, as ``tursotui db config``): delete protection, block
reads/writes, size limit, allowed IPs — every value checked before anything is sent, and only after the
database's name is typed. Returns the change (only the fields that differ) or None."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tursotui.ops.dbconfig import ConfigChange, limit_text, on_off
from tursotui.ops.errors import InputError
from tursotui.platform import DatabaseConfiguration
from tursotui.ui.dialogs.base import MODAL_TCSS


def change_from(
    current: DatabaseConfiguration,
    *,
    delete_protection: bool,
    block_reads: bool,
    block_writes: bool,
    size_limit: str,
    allowed_ips: str,
) -> ConfigChange:
    """The change the form asks for: only what differs from ``current``; :class:`InputError` names a bad value."""
    ips = [ip.strip() for ip in allowed_ips.replace(";", ",").split(",") if ip.strip()]
    before_ips = ", ".join(current.allowed_ips)
    ips_changed = ", ".join(ips) != before_ips
    size_changed = size_limit.strip() != _size_shown(current)
    change = ConfigChange.parse(
        delete_protection=None
        if delete_protection == current.delete_protection
        else on_off(delete_protection),
        size_limit_text=(size_limit.strip() or "none") if size_changed else None,
        allow_ips=ips if ips_changed and ips else None,
        allow_any_ip=ips_changed and not ips,
        block_reads=None if block_reads == current.block_reads else on_off(block_reads),
        block_writes=None if block_writes == current.block_writes else on_off(block_writes),
    )
    if change.empty:
        raise InputError("nothing to change: every setting is as it was")
    return change


def _size_shown(current: DatabaseConfiguration) -> str:
    shown = limit_text(current.size_limit)
    return "" if shown == "none" else shown


class DbConfigScreen(ModalScreen[ConfigChange | None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [MODAL_TCSS, "dbconfig.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dbconfig.cancel")
    ]

    def __init__(self, database: str, current: DatabaseConfiguration) -> None:
        super().__init__()
        self.database = database
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        with VerticalScroll(classes="dialog"):
            yield Label(f"Configure database {self.database}", classes="dialog-title", markup=False)
            with Horizontal(classes="dbconfig-row"):
                yield Checkbox("Delete protection", c.delete_protection, id="dbconfig-protect")
                yield Checkbox("Block reads", c.block_reads, id="dbconfig-block-reads")
                yield Checkbox("Block writes", c.block_writes, id="dbconfig-block-writes")
            with Horizontal(classes="dbconfig-row"):
                yield Label("Size limit", markup=False)
                yield Input(_size_shown(c), placeholder="none, 256mb, 1gb", id="dbconfig-size")
            with Horizontal(classes="dbconfig-row"):
                yield Label("Allowed IPs", markup=False)
                yield Input(
                    ", ".join(c.allowed_ips),
                    placeholder="any; or 203.0.113.7, 10.0.0.0/8",
                    id="dbconfig-ips",
                )
            yield Static("", id="dbconfig-message", markup=False)
            with Horizontal(classes="dbconfig-row"):
                yield Label("Type its name", markup=False, id="dbconfig-prompt")
                yield Input(placeholder=self.database, id="dbconfig-confirm")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="dbconfig-cancel")
                yield Button("Apply", id="dbconfig-ok", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#dbconfig-protect", Checkbox).focus()

    @property
    def confirmed_text(self) -> bool:
        return self.query_one("#dbconfig-confirm", Input).value.strip() == self.database

    def change(self) -> ConfigChange:
        return change_from(
            self.current,
            delete_protection=self.query_one("#dbconfig-protect", Checkbox).value,
            block_reads=self.query_one("#dbconfig-block-reads", Checkbox).value,
            block_writes=self.query_one("#dbconfig-block-writes", Checkbox).value,
            size_limit=self.query_one("#dbconfig-size", Input).value,
            allowed_ips=self.query_one("#dbconfig-ips", Input).value,
        )

    @on(Input.Changed, "#dbconfig-confirm")
    def _typed(self) -> None:
        self.query_one("#dbconfig-ok", Button).disabled = not self.confirmed_text

    @on(Input.Submitted, "#dbconfig-confirm")
    @on(Button.Pressed, "#dbconfig-ok")
    def _apply(self) -> None:
        message = self.query_one("#dbconfig-message", Static)
        if not self.confirmed_text:
            message.update(f"Type {self.database} exactly to confirm")
            return
        try:
            change = self.change()
        except InputError as exc:
            message.update(str(exc))
            return
        self.dismiss(change)

    @on(Button.Pressed, "#dbconfig-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["DbConfigScreen", "change_from"]

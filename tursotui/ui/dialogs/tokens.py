"""Token modals: create (scope, expiration, access), the new token shown ONCE, rotate behind a typed
confirmation, and decoding a pasted JWT's claims (never verified, never shown back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tursotui.config.envfile import AUTH_TOKEN
from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.token_actions import RotationScope
from tursotui.ops.tokens import (
    DEFAULT_EXPIRATION,
    Expiration,
    LedgerEntry,
    decode_claims,
    fingerprint,
    parse_expiration,
)
from tursotui.ui.dialogs.base import MODAL_TCSS

CSS: list[str | PurePath] = [MODAL_TCSS, "tokens.tcss"]
ROTATE_WARNING = (
    "All tokens stop working, replicas restart: every token of {subject} (database and group "
    "tokens alike, also the ones in your .env files) is invalidated now."
)
Scope = Literal["database", "group"]


@dataclass(frozen=True)
class TokenRequest:
    scope: Scope
    name: str
    expiration: Expiration
    read_only: bool


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


class TokenCreateScreen(ModalScreen[TokenRequest | None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="token_create.cancel")
    ]

    def __init__(self, database: str, group: str) -> None:
        super().__init__()
        self.database = database
        self.group = group

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="token-create"):
            yield Label("Create a token", classes="dialog-title", markup=False)
            with Horizontal(classes="token-row"):
                with RadioSet(id="token-scope"):
                    yield RadioButton("Database", value=True, id="scope-database")
                    yield RadioButton("Group", id="scope-group")
                with RadioSet(id="token-access"):
                    yield RadioButton("Full access", value=True, id="access-full")
                    yield RadioButton("Read-only", id="access-ro")
            yield Label("Database or group name", markup=False)
            yield Input(value=self.database, id="token-name")
            yield Label("Expiration (90d, 2w1d, 12h, never)", markup=False)
            yield Input(value=DEFAULT_EXPIRATION, id="token-expiration")
            yield Static("", markup=False, id="token-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="token-cancel")
                yield Button("Create", id="token-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#token-name", Input).focus()

    @on(RadioSet.Changed, "#token-scope")
    def _scope_changed(self, event: RadioSet.Changed) -> None:
        name = self.query_one("#token-name", Input)
        group = event.pressed.id == "scope-group"
        if name.value in (self.database, self.group, ""):
            name.value = self.group if group else self.database

    def request(self) -> TokenRequest:
        scope: Scope = "group" if self.query_one("#scope-group", RadioButton).value else "database"
        name = check_name(self.query_one("#token-name", Input).value.strip(), scope)
        expiration = parse_expiration(self.query_one("#token-expiration", Input).value)
        read_only = self.query_one("#access-ro", RadioButton).value
        return TokenRequest(scope, name, expiration, read_only)

    def _submit(self) -> None:
        try:
            request = self.request()
        except InputError as exc:
            self.query_one("#token-error", Static).update(str(exc))
            return
        self.dismiss(request)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._submit()

    @on(Button.Pressed, "#token-ok")
    def _ok(self) -> None:
        self._submit()

    @on(Button.Pressed, "#token-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TokenCreatedScreen(ModalScreen[None]):
    """The new token, shown this once: ``c`` copies it (OSC 52), ``w`` writes it to .env (backed up)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", tooltip="Copy the token (OSC 52)", id="token_created.copy"),
        Binding("w", "write_env", "Write .env", tooltip="Set TURSO_AUTH_TOKEN in .env", id="token_created.env"),
        Binding("escape,enter", "close", "Close", key_display="esc", id="token_created.close"),
    ]  # fmt: skip
    ENV_KEY = AUTH_TOKEN

    def __init__(self, token: str, entry: LedgerEntry, env_path: Path | None) -> None:
        super().__init__()
        self._token = token
        self.entry = entry
        self.env_path = env_path
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical(classes="dialog", id="token-created"):
            yield Label("New token — shown only now", classes="dialog-title", markup=False)
            yield Static(
                f"{e.authorization} token for {e.subject} · fingerprint {e.fingerprint} · "
                f"expires {e.expires_at or 'never'}",
                markup=False,
            )
            yield Static(self._token, markup=False, id="token-secret")
            yield Static(
                "Store it now: it is not kept anywhere (the ledger keeps its metadata only).",
                markup=False,
                id="token-note",
            )
            env = (
                f"w write {self.ENV_KEY} to {self.env_path} (backed up first) · "
                if self.env_path
                else ""
            )
            yield Static(f"c copy · {env}esc close", classes="dialog-hint", markup=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._token)
        self.notify("Token copied to the clipboard (OSC 52)", timeout=3, markup=False)

    def action_write_env(self) -> None:
        if self.env_path is None:
            self.notify("No .env file configured", severity="warning", timeout=3, markup=False)
            return
        from tursotui.config import ConfigError
        from tursotui.config.point import point_at_database

        try:
            backup = point_at_database(None, self.env_path, token=self._token).env_backup
        except (OSError, ConfigError) as exc:
            self.notify(
                f"Cannot write {self.env_path}: {exc}", severity="error", timeout=8, markup=False
            )
            return
        self.written = self.env_path
        note = f" (previous file kept as {backup})" if backup else ""
        self.notify(f"{self.ENV_KEY} written to {self.env_path}{note}", timeout=6, markup=False)

    def action_close(self) -> None:
        self._token = ""
        self.dismiss(None)


class RotateConfirmScreen(ModalScreen[tuple[Scope, str] | None]):
    """Rotate a database's (or group's) keys: type the name to confirm."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rotate.cancel")
    ]
    CURSOR_BLINK: ClassVar[bool] = True

    def __init__(self, scope: Scope, name: str, impact: RotationScope | None = None) -> None:
        super().__init__()
        self.scope: Scope = scope
        self.name_ = name
        self.impact = impact
        """The group and every database whose tokens stop working (as ``token rotate`` says)."""

    def compose(self) -> ComposeResult:
        subject = f"{self.scope} {self.name_}"
        with Vertical(classes="dialog", id="rotate-dialog"):
            yield Label(f"Rotate the tokens of {subject}", classes="dialog-title", markup=False)
            yield Static(ROTATE_WARNING.format(subject=subject), markup=False, id="rotate-warning")
            if self.impact is not None:
                with VerticalScroll(id="rotate-scope"):
                    yield Static(self.impact.describe(), markup=False, id="rotate-impact")
            yield Label(f"Type {self.name_} to confirm:", markup=False)
            yield Input(placeholder=self.name_, id="rotate-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="rotate-cancel")
                yield Button("Rotate", id="rotate-ok", variant="error", disabled=True)

    def on_mount(self) -> None:
        field = self.query_one("#rotate-input", Input)
        field.cursor_blink = self.CURSOR_BLINK
        field.focus()

    @property
    def confirmed(self) -> bool:
        return self.query_one("#rotate-input", Input).value.strip() == self.name_

    @on(Input.Changed, "#rotate-input")
    def _typed(self) -> None:
        self.query_one("#rotate-ok", Button).disabled = not self.confirmed

    @on(Input.Submitted, "#rotate-input")
    def _submitted(self) -> None:
        if self.confirmed:
            self.dismiss((self.scope, self.name_))
        else:
            self.notify(
                f"Type {self.name_} exactly to confirm", severity="warning", timeout=3, markup=False
            )

    @on(Button.Pressed, "#rotate-ok")
    def _ok(self) -> None:
        if self.confirmed:
            self.dismiss((self.scope, self.name_))

    @on(Button.Pressed, "#rotate-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def describe_token(token: str, now: datetime) -> str:
    """A pasted JWT's claims for display (signature NOT verified); the token itself never shown. The access
    is what sqld grants: from ``p`` (each level and its databases, and any fine-grained rule) when the token
    has one, else from ``a``."""
    claims = decode_claims(token)
    state = "EXPIRED" if claims.expired(now) else "not expired"
    lines = [
        "Claims (NOT verified: anyone can write these):",
        f"  access:      {claims.access_text}",
    ]
    if claims.permissions is not None:
        lines.append("  p (permissions, what sqld reads):")
        lines += [f"    {line}" for line in claims.permissions.lines()]
    lines.append(f"  id:          {claims.database_id or '–'}")
    if claims.group_id:
        lines.append(f"  gid:         {claims.group_id}")
    lines += [
        f"  iat:         {_when(claims.issued_at)}",
        f"  exp:         {_when(claims.expires_at)} ({state})",
        f"  alg:         {claims.algorithm or '–'}",
        f"  fingerprint: {fingerprint(token)}",
    ]
    return "\n".join(lines)


class DecodeTokenScreen(ModalScreen[None]):
    """Paste a JWT (masked) and see its claims."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="decode.close")]

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="decode-dialog"):
            yield Label("Decode a token's claims", classes="dialog-title", markup=False)
            yield Input(placeholder="paste a JWT, then enter", password=True, id="decode-input")
            yield Static("", markup=False, id="decode-claims")
            yield Label("enter decode · esc close", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#decode-input", Input).focus()

    @on(Input.Submitted, "#decode-input")
    def _decode(self, event: Input.Submitted) -> None:
        try:
            text = describe_token(event.value, self.now)
        except InputError as exc:
            text = str(exc)
        self.query_one("#decode-claims", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)

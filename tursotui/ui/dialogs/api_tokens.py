"""Platform API token modals (``ops/api_tokens.py``, as ``tursotui api-tokens``): create (org-wide, or
group-scoped with scopes; every value checked before anything is sent), the new token shown ONCE, and revoke
behind the typed token name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tursotui.ops.api_tokens import PRESETS, SCOPES, NewApiToken, check_scopes, check_token_name
from tursotui.ops.errors import InputError
from tursotui.ui.dialogs.base import MODAL_TCSS

CSS: list[str | PurePath] = [MODAL_TCSS, "api_tokens.tcss"]


@dataclass(frozen=True)
class ApiTokenRequest:
    name: str
    group: str | None
    scopes: tuple[str, ...]


def api_token_request(name: str, group: str, scopes: str) -> ApiTokenRequest:
    """The form's values checked as ``api-tokens create`` checks them (:class:`InputError` names a bad one)."""
    wanted = check_scopes([s for s in scopes.replace(" ", ",").split(",") if s.strip()])
    chosen = group.strip() or None
    if chosen is not None and not wanted:
        raise InputError(f"a group-scoped token needs at least one scope: {', '.join(PRESETS)}, …")
    if chosen is None and wanted:
        raise InputError("scopes are only for a group-scoped token: give its group")
    return ApiTokenRequest(check_token_name(name), chosen, wanted)


class ApiTokenCreateScreen(ModalScreen[ApiTokenRequest | None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="api_token_create.cancel")
    ]

    def __init__(self, organization: str, group: str = "") -> None:
        super().__init__()
        self.organization = organization
        self.group = group

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                f"Create a Platform API token for organization {self.organization}",
                classes="dialog-title",
                markup=False,
            )
            with Horizontal(classes="api-row"):
                yield Label("Name", markup=False)
                yield Input(placeholder="ci-deploy", id="api-name")
            with Horizontal(classes="api-row"):
                yield Label("Group", markup=False)
                yield Input(
                    placeholder=f"empty: org-wide; e.g. {self.group or 'default'}", id="api-group"
                )
            with Horizontal(classes="api-row"):
                yield Label("Scopes", markup=False)
                yield Input(
                    placeholder="read-only, full-access or e.g. read, db:create", id="api-scopes"
                )
            yield Static(
                f"Scopes (group tokens only): {', '.join(PRESETS)}, or any of {', '.join(SCOPES)}",
                classes="dialog-hint",
                markup=False,
            )
            yield Static("", id="api-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="api-cancel")
                yield Button("Create", id="api-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#api-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#api-ok")
    def _create(self) -> None:
        try:
            request = api_token_request(
                self.query_one("#api-name", Input).value,
                self.query_one("#api-group", Input).value,
                self.query_one("#api-scopes", Input).value,
            )
        except InputError as exc:
            self.query_one("#api-message", Static).update(str(exc))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#api-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ApiTokenCreatedScreen(ModalScreen[None]):
    """The new API token, shown this once: ``c`` copies it (OSC 52)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", tooltip="Copy the token (OSC 52)", id="api_token_created.copy"),
        Binding("escape,enter", "close", "Close", key_display="esc", id="api_token_created.close"),
    ]  # fmt: skip

    def __init__(self, created: NewApiToken) -> None:
        super().__init__()
        self._token = created.token
        self.created = created

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New API token — shown only now", classes="dialog-title", markup=False)
            yield Static(self.created.describe(), markup=False, id="api-created")
            yield Static(self._token, markup=False, id="api-secret")
            yield Static(
                "Store it now: it is shown nowhere else. c copy · esc close",
                classes="dialog-hint",
                markup=False,
            )

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._token)
        self.notify("API token copied to the clipboard (OSC 52)", timeout=3, markup=False)

    def action_close(self) -> None:
        self._token = ""
        self.dismiss(None)


class ApiTokenRevokeScreen(ModalScreen[bool]):
    """True only when the token's name is typed exactly."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="api_token_revoke.cancel")
    ]

    def __init__(self, name: str, scope: str) -> None:
        super().__init__()
        self.token_name = name
        self.scope = scope

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Revoke API token {self.token_name}", classes="dialog-title", markup=False)
            yield Static(
                f"Everything using it ({self.scope}) gets 401 from now on; this cannot be undone.",
                markup=False,
            )
            with Horizontal(classes="api-row"):
                yield Label("Type name", markup=False)
                yield Input(placeholder=self.token_name, id="api-confirm")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="api-cancel")
                yield Button("Revoke", id="api-ok", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#api-confirm", Input).focus()

    @property
    def confirmed_text(self) -> bool:
        return self.query_one("#api-confirm", Input).value.strip() == self.token_name

    @on(Input.Changed, "#api-confirm")
    def _typed(self) -> None:
        self.query_one("#api-ok", Button).disabled = not self.confirmed_text

    @on(Input.Submitted, "#api-confirm")
    @on(Button.Pressed, "#api-ok")
    def _revoke(self) -> None:
        if self.confirmed_text:
            self.dismiss(True)
        else:
            self.notify(f"Type {self.token_name} exactly to confirm", timeout=3, markup=False)

    @on(Button.Pressed, "#api-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

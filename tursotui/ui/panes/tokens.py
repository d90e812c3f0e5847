"""Tokens: the local ledger of issued tokens (metadata only) with expiry warnings; create (shown once),
rotate behind a typed confirmation, decode a pasted JWT. The secret of a token is never listed. Below, the
organization's Platform API tokens (``api_tokens.py``): a creates one, v revokes the highlighted one.

Create and rotate act on the selected database (the main screen's) and its group, named in the hint line; what
a rotation ends is read from the last refresh's snapshot, not fetched again."""

from __future__ import annotations

import asyncio
from typing import ClassVar, Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tursotui.ops.errors import OpsError
from tursotui.ops.token_actions import (
    RotationScope,
    issue_token,
    rotate_tokens,
    rotation_scope,
    scope_of_rotation,
)
from tursotui.ops.tokens import LedgerEntry, TokenLedger, expiry_warnings
from tursotui.platform import PlatformError
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.tokens import (
    DecodeTokenScreen,
    RotateConfirmScreen,
    TokenCreatedScreen,
    TokenCreateScreen,
    TokenRequest,
)
from tursotui.ui.host import OrgView
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.panes.api_tokens import ApiTokensSection
from tursotui.ui.services import Services

COLUMNS = ("Fingerprint", "State", "Scope", "Name", "Access", "Expires", "Created")


def _day(text: str | None) -> str:
    return text[:10] if text else "never"


class TokensPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("tokens"))
    TITLE = "Tokens"

    def __init__(self, services: Services, org: OrgView) -> None:
        super().__init__(id="tokens-pane")
        self.services = services
        self.org = org
        self.ledger = TokenLedger.in_data_dir(services.data_dir)
        self.entries: list[LedgerEntry] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="tokens-warnings", markup=False)
        table: DataTable[str] = DataTable(id="tokens-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "Issued by tursotui (metadata only: tokens are never stored)"
        yield table
        yield Static(self._hint(), id="tokens-hint", markup=False)
        yield ApiTokensSection(self.services)

    def on_mount(self) -> None:
        self.query_one("#tokens-table", DataTable).add_columns(*COLUMNS)
        self.reload()

    def _hint(self) -> str:
        database, group = self._selected()
        if not database:
            return "No database selected · n create · d decode · l reload"
        rotate = f" · g rotate group {group}" if group else ""
        return (
            f"n create · r rotate {database}{rotate} (all their tokens stop) · d decode · l reload"
        )

    def database_selected(self, name: str | None) -> None:
        """The selected database changed: the hint names it (create and rotate act on it)."""
        if self.is_mounted:
            self.query_one("#tokens-hint", Static).update(self._hint())

    # -- ledger --------------------------------------------------------------------------------------------

    def reload(self) -> None:
        now = self.services.clock()
        try:
            entries = self.ledger.entries()
        except OpsError as exc:
            self.post_message(ErrorOccurred("Token ledger", str(exc)))
            entries = []
        self.entries = entries
        org, target = self.services.organization, self.services.target
        ours = [e for e in entries if (e.organization, e.target) in ((org, target), ("", ""))]
        warnings = expiry_warnings(ours, now=now)
        mine = [e for e in ours if e.kind == "issued"]  # session tokens: a count, not rows
        sessions = len(ours) - len(mine)
        expiring = {w.entry.fingerprint: w.kind for w in warnings}
        table = self.query_one("#tokens-table", DataTable)
        table.clear()
        for e in reversed(mine):
            if e.revoked_at:
                state = "revoked"
            elif e.expires is not None and e.expires <= now:
                state = "expired"
            else:
                state = "expiring" if expiring.get(e.fingerprint) == "expiring" else "active"
            name = e.database if e.scope == "database" else e.name if e.scope == "api" else e.group
            table.add_row(
                e.fingerprint,
                state,
                e.scope,
                name,
                e.authorization,
                _day(e.expires_at),
                _day(e.created_at),
            )
        table.border_subtitle = f"{len(mine)} token{'s' if len(mine) != 1 else ''}" + (
            f" · {sessions} session token{'s' if sessions != 1 else ''} (in memory, 1 day)"
            if sessions
            else ""
        )
        text = (
            "\n".join(f"⚠ {w.message}" for w in warnings[:3]) or "No token expires within 7 days."
        )
        box = self.query_one("#tokens-warnings", Static)
        box.update(text)
        box.set_class(bool(warnings), "-warn")

    def action_reload(self) -> None:
        self.reload()

    def on_show(self) -> None:
        self.reload()
        self.database_selected(self.org.selected)  # its group may have come with a later refresh

    # -- helpers -------------------------------------------------------------------------------------------

    def _selected(self) -> tuple[str, str]:
        """The selected database (else the configured one) and its group ("" when not known yet)."""
        name = self.org.selected or self.services.database_name
        snapshot = self.org.snapshot
        db = snapshot.database(name) if snapshot is not None and name else None
        return name, db.group if db is not None else ""

    def _scope(self, database: str | None, group: str | None) -> RotationScope | None:
        """What a rotation ends, from the last refresh (``scope_of_rotation``, as ``token rotate``);
        None when the snapshot does not list the database or the group."""
        snapshot = self.org.snapshot
        if snapshot is None:
            return None
        if database is not None:
            db = snapshot.database(database)
            return scope_of_rotation(db, snapshot.databases) if db is not None else None
        if not group or not snapshot.databases_in_group(group):
            return None
        return scope_of_rotation(None, snapshot.databases, group=group)

    def _writable(self, what: str) -> bool:
        if self.services.read_only:
            self.notify(
                f"Read-only mode: cannot {what}", severity="warning", timeout=4, markup=False
            )
            return False
        return True

    # -- actions -------------------------------------------------------------------------------------------

    def action_create(self) -> None:
        if self._writable("create tokens"):
            self._create()

    def action_rotate(self) -> None:
        if self._writable("rotate tokens"):
            self._rotate("database")

    def action_rotate_group(self) -> None:
        if self._writable("rotate tokens"):
            self._rotate("group")

    def action_api_create(self) -> None:
        if self._writable("create API tokens"):
            self.query_one(ApiTokensSection).create(self._selected()[1])

    def action_api_revoke(self) -> None:
        if self._writable("revoke API tokens"):
            self.query_one(ApiTokensSection).revoke()

    def action_decode(self) -> None:
        self.app.push_screen(DecodeTokenScreen(self.services.clock()))

    @work(exclusive=True, group="tokens", exit_on_error=False)
    async def _create(self) -> None:
        database, group = self._selected()
        request: TokenRequest | None = await self.app.push_screen_wait(
            TokenCreateScreen(database, group)
        )
        if request is None:
            return
        try:
            issued = await issue_token(
                self.services.platform,
                database=request.name if request.scope == "database" else None,
                group=request.name if request.scope == "group" else None,
                expiration=request.expiration,
                read_only=request.read_only,
                ledger=self.ledger,
                target=self.services.target,
            )
        except (PlatformError, OpsError) as exc:
            self.post_message(ErrorOccurred("Token not created", str(exc)))
            return
        self.services.secrets.add(issued.token)  # redacted from crash files
        self.reload()
        await self.app.push_screen_wait(
            TokenCreatedScreen(issued.token, issued.entry, self.services.env_path)
        )

    @work(exclusive=True, group="tokens", exit_on_error=False)
    async def _rotate(self, scope: Literal["database", "group"]) -> None:
        selected, its_group = self._selected()
        name = selected if scope == "database" else its_group
        if not name:
            self.notify(f"No {scope} selected", severity="warning", timeout=3, markup=False)
            return
        database = name if scope == "database" else None
        group = name if scope == "group" else None
        try:  # the group and every database whose tokens stop working, named in the dialog
            impact = self._scope(database, group) or await rotation_scope(
                self.services.platform, database=database, group=group
            )
        except (PlatformError, OpsError) as exc:
            self.post_message(ErrorOccurred("Rotation not started", str(exc)))
            return
        chosen = await self.app.push_screen_wait(RotateConfirmScreen(scope, name, impact))
        if chosen is None:
            return
        try:
            rotation = await rotate_tokens(
                self.services.platform,
                database=name if scope == "database" else None,
                group=name if scope == "group" else None,
                ledger=self.ledger,
                target=self.services.target,
            )
        except (PlatformError, OpsError) as exc:
            self.post_message(ErrorOccurred("Rotation failed", str(exc)))
            return
        await asyncio.sleep(0)
        self.reload()
        what = (
            f"group {rotation.group}" if rotation.rotated == "group" else f"database {name} (alone)"
        )
        self.notify(
            f"Tokens of {what} rotated: {len(rotation.revoked)} ledger "
            "entries marked revoked; update your .env files",
            timeout=8,
            markup=False,
        )

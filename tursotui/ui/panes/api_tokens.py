"""The Tokens tab's Platform API tokens (``ops/api_tokens.py``, as ``tursotui api-tokens``): listed (name,
scope, permissions, created; never a secret), created org-wide or group-scoped (shown once, registered as a
secret so no crash file or error shows it), revoked behind the typed name. Refused in read-only mode."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tursotui.ops.api_tokens import (
    create_api_token,
    list_api_tokens,
    permissions_of,
    revoke_api_token,
    scope_of,
)
from tursotui.ops.errors import OpsError
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import ApiToken, PlatformError
from tursotui.ui.dialogs.api_tokens import (
    ApiTokenCreatedScreen,
    ApiTokenCreateScreen,
    ApiTokenRevokeScreen,
)
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.services import Services

COLUMNS = ("API token", "Scope", "Permissions", "Created")


class ApiTokensSection(Vertical):
    DEFAULT_CSS = """
    ApiTokensSection { height: auto; max-height: 50%; }
    ApiTokensSection DataTable { height: auto; max-height: 8; }
    ApiTokensSection #api-tokens-title { color: $accent; text-style: bold; width: 1fr; }
    """

    def __init__(self, services: Services) -> None:
        super().__init__(id="api-tokens")
        self.services = services
        self.tokens: list[ApiToken] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="api-tokens-title", markup=False)
        yield DataTable[str](id="api-tokens-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#api-tokens-table", DataTable).add_columns(*COLUMNS)
        self.load()

    def _title(self, state: str) -> None:
        org = self.services.organization
        self.query_one("#api-tokens-title", Static).update(
            f"Platform API tokens of {org} · {state}"
        )

    @work(exclusive=True, group="api-tokens")
    async def load(self) -> None:
        self._title("loading …")
        try:
            self.tokens = await list_api_tokens(self.services.platform)
        except PlatformError as exc:
            self._title(f"unavailable: {exc}")
            return
        table = self.query_one("#api-tokens-table", DataTable)
        table.clear()
        for token in self.tokens:
            table.add_row(
                token.name, scope_of(token), permissions_of(token), token.created_at[:10] or "-",
                key=token.name,
            )  # fmt: skip
        count = len(self.tokens)
        self._title(f"{count} token{'s' if count != 1 else ''} · a create · v revoke")

    @property
    def highlighted(self) -> ApiToken | None:
        table = self.query_one("#api-tokens-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((t for t in self.tokens if t.name == key), None)

    @work(exclusive=True, group="api-tokens-change", exit_on_error=False)
    async def create(self, group: str) -> None:
        request = await self.app.push_screen_wait(
            ApiTokenCreateScreen(self.services.organization, group)
        )
        if request is None:
            return
        try:
            created = await create_api_token(
                self.services.platform,
                request.name,
                group=request.group,
                scopes=request.scopes,
                target=self.services.target,
                ledger=TokenLedger.in_data_dir(self.services.data_dir),
            )
        except (PlatformError, OpsError) as exc:
            self.post_message(ErrorOccurred("API token not created", str(exc)))
            return
        self.services.secrets.add(created.token)  # redacted from errors and crash files
        self.load()
        await self.app.push_screen_wait(ApiTokenCreatedScreen(created))

    @work(exclusive=True, group="api-tokens-change", exit_on_error=False)
    async def revoke(self) -> None:
        token = self.highlighted
        if token is None:
            self.notify("No API token highlighted", severity="warning", timeout=3, markup=False)
            return
        if not await self.app.push_screen_wait(ApiTokenRevokeScreen(token.name, scope_of(token))):
            return
        try:
            await revoke_api_token(self.services.platform, token.name)
        except (PlatformError, OpsError) as exc:
            self.post_message(ErrorOccurred(f"API token {token.name} not revoked", str(exc)))
            return
        self.notify(f"API token {token.name} revoked", timeout=5, markup=False)
        self.load()

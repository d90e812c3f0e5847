"""What the console is given to work with, injected into ``TursoApp`` (no globals, no Textual here).

Tests hand the app a ``PlatformClient`` over ``httpx.MockTransport``; the local Turso hands one over
``httpx.ASGITransport``; Turso Cloud one over the network. The UI talks to nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tursotui.ops.latency import LatencyProbe
from tursotui.platform import PlatformClient
from tursotui.support.redact import Secrets

if TYPE_CHECKING:
    from tursotui.config import Settings
    from tursotui.libsql import HranaClient
    from tursotui.ops.tokens import TokenLedger

Target = Literal["cloud", "local"]
SqlOpener = Callable[[str, bool], AbstractAsyncContextManager["HranaClient"]]
"""``opener(database, read_only)``: an SQL client for the database (the SQL console, backups)."""

DEFAULT_REFRESH_INTERVAL = 5.0
LOCAL_HINT = "switch to Turso Cloud: TURSO_API_TOKEN + [turso] organization, --target cloud"


def utc_now() -> datetime:
    return datetime.now(UTC)


def banner_text(target: Target, organization: str) -> str:
    """``local Turso · org local`` or ``Turso Cloud · org acme``."""
    where = "local Turso" if target == "local" else "Turso Cloud"
    return f"{where} · org {organization or '?'}"


@dataclass
class Services:
    """Everything the app needs. ``platform`` is the only way to the backend."""

    platform: PlatformClient
    target: Target
    banner: str
    data_dir: Path
    """Where usage history and crash files go."""
    database_name: str = ""
    """The configured database: selected first."""
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL
    read_only: bool = False
    clock: Callable[[], datetime] = utc_now
    """Returns an aware UTC datetime (tests pass a fixed clock)."""
    theme: str = "auto"
    latency_probe: LatencyProbe | None = None
    """Instance hostname -> round trip in ms (None: unreachable). ``None`` here: the app times ``GET /health``
    with one shared ``httpx.AsyncClient`` it owns."""
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    """Tokens to scrub from anything shown or written (crash files, error texts): the backend's
    :class:`Secrets` when there is one, shared; a token minted later is ``add``-ed to it. Any iterable of
    tokens given here (tests pass a tuple) becomes one."""
    sql_opener: SqlOpener | None = field(default=None, repr=False)
    """``None``: a short-lived token minted per use (``tursotui.ops.access.open_database``)."""
    env_path: Path | None = None
    """The .env a new token may be written to (backed up first)."""
    config_path: Path | None = None
    """The config.toml the restore wizard may point at a new database (backed up first)."""
    backup_dir: Path | None = None
    """``None``: ``<data_dir>/backups``."""
    backup_retention_days: int = 30
    settings: Settings | None = field(default=None, repr=False)
    """The resolved settings (the setup wizard and the embedded-replica pane read them); None in tests that
    need neither."""
    local_turso: bool = False
    """True when ``platform`` talks to a local Turso this process started (not Turso Cloud)."""
    token_expiration: str = "90d"  # noqa: S105 (a lifetime, not a secret)
    """Lifetime of the tokens the console mints to hand over (restore's, written to .env)."""
    backend_ready: asyncio.Future[tuple[str, ...]] | None = field(default=None, repr=False)
    """The local Turso still starting (in a child process): resolves to its start notices, or raises why it
    could not start. The first refresh waits for it; ``None``: nothing to wait for."""

    def __post_init__(self) -> None:
        if not isinstance(self.secrets, Secrets):
            self.secrets = Secrets(self.secrets)

    @property
    def organization(self) -> str:
        return self.platform.organization or ""

    @property
    def ledger(self) -> TokenLedger:
        """The token ledger (metadata of every token the console mints)."""
        from tursotui.ops.tokens import TokenLedger

        return TokenLedger.in_data_dir(self.data_dir)

    @property
    def backups_path(self) -> Path:
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"

    def open_sql(self, database: str, read_only: bool) -> AbstractAsyncContextManager[HranaClient]:
        """An SQL client for ``database`` (read-only token when ``read_only``)."""
        if self.sql_opener is not None:
            return self.sql_opener(database, read_only)
        return _open_with_token(self, database, read_only)

    @property
    def history_key(self) -> str:
        return f"{self.target}:{self.organization}"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        platform: PlatformClient,
        *,
        clock: Callable[[], datetime] = utc_now,
        latency_probe: LatencyProbe | None = None,
        secrets: Secrets | None = None,
    ) -> Services:
        """``secrets``: the backend's, shared (the settings' tokens are added to it); None: a new one."""
        from tursotui.libsql.keys import encryption_keys
        from tursotui.ops.session_tokens import register_session

        keys = encryption_keys(settings)  # BYOK keys: TURSO_DB_REMOTE_ENCRYPTION_KEY[_<NAME>]
        # SQL actions reuse the configured TURSO_AUTH_TOKEN where it belongs, else one token per database.
        register_session(
            platform,
            auth_token=settings.auth_token,
            writes_allowed=not settings.read_only,
            encryption=keys,
        )
        organization = platform.organization or settings.organization
        tui = settings.config.tursotui
        return cls(
            platform=platform,
            target=settings.target,
            banner=banner_text(settings.target, organization),
            data_dir=settings.data_dir,
            database_name=settings.config.turso.database_name,
            refresh_interval=tui.refresh_interval_seconds,
            read_only=settings.read_only,
            clock=clock,
            theme=tui.theme,
            latency_probe=latency_probe,
            secrets=_with(secrets, settings.api_token, settings.auth_token, *keys.secrets()),
            env_path=settings.env_path,
            config_path=settings.config_path,
            backup_dir=settings.backup_directory,
            backup_retention_days=settings.config.turso.backup.retention_days,
            settings=settings,
            local_turso=settings.target == "local",
            token_expiration=getattr(tui, "token_expiration", "90d"),
        )


def _with(secrets: Secrets | None, *tokens: str | None) -> Secrets:
    shared = Secrets() if secrets is None else secrets
    shared.add(*tokens)
    return shared


@asynccontextmanager
async def _open_with_token(
    services: Services, database: str, read_only: bool
) -> AsyncIterator[HranaClient]:
    from tursotui.ops.access import open_database

    async with open_database(
        services.platform,
        database,
        read_only=read_only,
        ledger=services.ledger,
        target=services.target,
    ) as access:
        yield access.client

"""What the doctor checks against: the Platform API client of the session and the resolved settings (the
configured database, its URL and token, .env and config.toml, the embedded replica)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.ops.latency import LatencyProbe
from tursotui.ops.replica import ReplicaTarget
from tursotui.ops.sql.scan import Executes
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import PlatformClient

if TYPE_CHECKING:
    from tursotui.config import Settings


@dataclass(frozen=True)
class DoctorInputs:
    platform: PlatformClient
    probe: LatencyProbe
    local: bool
    """The local Turso (its replica lag is known in frames; its API token is its own)."""
    database_name: str = ""
    """``[turso] database_name``: the database the URL, the token and the replica are for."""
    database_url: str = ""
    auth_token: str | None = field(default=None, repr=False)
    env_path: Path | None = None
    config_path: Path | None = None
    replica: ReplicaTarget | None = None
    ledger: TokenLedger | None = None
    """Where a token the doctor mints (``--all``'s one per group) is recorded."""
    target: str = ""
    open_sql: Callable[[str], AbstractAsyncContextManager[Executes]] | None = field(
        default=None, repr=False
    )
    """How the index check opens SQL on a database (read-only): the console's own opener; None: the session's
    token through :func:`tursotui.ops.access.open_database`."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def organization(self) -> str:
        return self.platform.organization or ""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        platform: PlatformClient,
        probe: LatencyProbe,
        *,
        local: bool,
        ledger: TokenLedger | None = None,
        clock: Callable[[], datetime] | None = None,
        open_sql: Callable[[str], AbstractAsyncContextManager[Executes]] | None = None,
    ) -> DoctorInputs:
        found = cls(
            platform=platform,
            probe=probe,
            local=local,
            database_name=settings.config.turso.database_name,
            database_url=settings.database_url,
            auth_token=settings.auth_token,
            env_path=settings.env_path,
            config_path=settings.config_path,
            replica=ReplicaTarget.from_settings(settings),
            ledger=ledger,
            target=settings.target,
            open_sql=open_sql,
        )
        return found if clock is None else replace(found, clock=clock)

    def is_configured(self, database: str) -> bool:
        """Whether ``database`` is the configured one (its URL, token and replica are in the settings)."""
        return bool(database) and database == self.database_name

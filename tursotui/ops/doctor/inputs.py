"""What the doctor checks against: the Platform API client of the session and the resolved settings (the
configured database, its URL and token, .env and config.toml, the embedded replica)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.ops.latency import LatencyProbe
from tursotui.ops.replica import ReplicaTarget
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
    ) -> DoctorInputs:
        return cls(
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
            **({"clock": clock} if clock is not None else {}),
        )

    def is_configured(self, database: str) -> bool:
        """Whether ``database`` is the configured one (its URL, token and replica are in the settings)."""
        return bool(database) and database == self.database_name

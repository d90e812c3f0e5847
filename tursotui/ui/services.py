"""What the console is given to work with, injected into ``TursoApp`` (no globals, no Textual here).

Tests hand the app a ``PlatformClient`` over ``httpx.MockTransport``; the local Turso hands one over
``httpx.ASGITransport``; Turso Cloud one over the network. The UI talks to nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tursotui.platform import PlatformClient
from tursotui.ui.latency import LatencyProbe

if TYPE_CHECKING:
    from tursotui.config import Settings

Target = Literal["cloud", "local"]

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
    theme: str = "textual-dark"
    latency_probe: LatencyProbe | None = None
    """Instance hostname -> round trip in ms (None: unreachable). ``None`` here: the app times ``GET /health``
    with one shared ``httpx.AsyncClient`` it owns."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Tokens to scrub from anything shown or written (crash files, error texts)."""

    @property
    def organization(self) -> str:
        return self.platform.organization or ""

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
    ) -> Services:
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
            secrets=tuple(t for t in (settings.api_token, settings.auth_token) if t),
        )

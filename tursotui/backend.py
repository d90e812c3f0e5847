"""One way to reach the configured backend, for the console and the scriptable CLI alike.

    async with open_backend(settings) as backend:
        databases = await backend.platform.list_databases()

Turso Cloud: a PlatformClient over the network. Local Turso: the control plane is started
in this process (real sqld on 127.0.0.1) and the client talks to it through httpx's ASGI
transport; it is stopped, with every sqld it started, when the block ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tursotui.config import Settings

if TYPE_CHECKING:
    from tursotui.local.service import LocalTurso
    from tursotui.platform import PlatformClient


@dataclass
class Backend:
    settings: Settings
    platform: PlatformClient
    local: LocalTurso | None = None

    @property
    def target(self) -> str:
        return self.settings.target

    @property
    def label(self) -> str:
        if self.local is not None:
            return f"local Turso (org {self.local.organization})"
        return f"Turso Cloud (org {self.settings.organization})"

    @property
    def notices(self) -> list[str]:
        """What starting the local Turso fixed and the operator should know (empty on Turso Cloud)."""
        return self.local.notices if self.local is not None else []

    def secrets(self) -> tuple[str, ...]:
        found = [self.settings.api_token, self.settings.auth_token]
        if self.local is not None:
            found.append(self.local.api_token)
        return tuple(t for t in found if t)


@asynccontextmanager
async def open_backend(settings: Settings, *, demo: bool = False) -> AsyncIterator[Backend]:
    """The backend of ``settings``; ``demo`` creates the local demo org when it has no database."""
    if settings.target == "cloud":
        from tursotui.platform import PlatformClient

        settings.require_cloud_credentials()
        assert settings.api_token is not None
        platform = PlatformClient(settings.api_token, organization=settings.organization)
        try:
            yield Backend(settings, platform)
        finally:
            await platform.aclose()
        return

    from tursotui.local.serve import start_local_turso

    turso = await start_local_turso(settings)
    try:
        if demo:
            from tursotui.local.demo import ensure_demo_org

            await ensure_demo_org(
                turso,
                config_path=settings.config_path,
                env_path=settings.env_path,
                write_config=config_is_ours(settings),
            )
        platform = turso.platform_client()
        try:
            yield Backend(settings, platform, turso)
        finally:
            await platform.aclose()
    finally:
        await turso.close()


def config_is_ours(settings: Settings) -> bool:
    """May the local Turso point config.toml/.env at its demo database?

    Only when they do not already point somewhere else: no database URL yet, or a loopback one.
    """
    from urllib.parse import urlsplit

    from tursotui.config.schema import is_loopback

    url = settings.config.turso.database_url
    return not url or is_loopback(urlsplit(url).hostname or "")

"""One way to reach the configured backend, for the console and the scriptable CLI alike.

    async with open_backend(settings) as backend:
        databases = await backend.platform.list_databases()

Turso Cloud: a PlatformClient over the network. Local Turso: the one a console or ``tursotui local
serve`` already runs on this data dir, over HTTP (its discovery file); else the control plane is
started in this process (real sqld on 127.0.0.1) and the client talks to it through httpx's ASGI
transport; it is stopped, with every sqld it started, when the block ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.config import Settings
from tursotui.local.host.discovery import RunningTurso, find_running
from tursotui.support.redact import Secrets

if TYPE_CHECKING:
    from tursotui.config import CliOptions
    from tursotui.local.host.process import LocalTursoProcess
    from tursotui.local.host.service import LocalTurso
    from tursotui.platform import PlatformClient


@dataclass
class Backend:
    settings: Settings
    platform: PlatformClient
    local: LocalTurso | None = None
    """The local Turso started in this process (None on Turso Cloud, or attached to a running one)."""
    attached: RunningTurso | None = None
    """The local Turso another process serves on this data dir, reached over HTTP."""
    notes: list[str] = field(default_factory=list)
    """What starting the local Turso did to config.toml/.env, or why it left them alone."""
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    """Every token of this run (the settings', the local Turso's, any minted since): the one redaction policy,
    shared with the CLI's context and the console's services. ``open_backend`` fills it."""

    @property
    def target(self) -> str:
        return self.settings.target

    @property
    def is_local(self) -> bool:
        return self.local is not None or self.attached is not None

    @property
    def label(self) -> str:
        if self.local is not None:
            return f"local Turso (org {self.local.organization})"
        if self.attached is not None:
            return (
                f"local Turso (org {self.attached.organization}, served by pid {self.attached.pid})"
            )
        return f"Turso Cloud (org {self.settings.organization})"

    @property
    def notices(self) -> list[str]:
        """What starting the local Turso fixed and the operator should know (empty on Turso Cloud)."""
        return [*self.local.notices, *self.notes] if self.local is not None else []

    def __post_init__(self) -> None:
        self.secrets.add(self.settings.api_token, self.settings.auth_token)
        if self.local is not None:
            self.secrets.add(self.local.api_token)
        if self.attached is not None:
            self.secrets.add(self.attached.api_token)
        from tursotui.libsql.keys import encryption_keys
        from tursotui.ops.session_tokens import register_session

        keys = encryption_keys(self.settings)  # BYOK keys: TURSO_DB_REMOTE_ENCRYPTION_KEY[_<NAME>]
        self.secrets.add(*keys.secrets())
        # SQL actions reuse TURSO_AUTH_TOKEN where it belongs to the database, else one token per database
        register_session(
            self.platform,
            auth_token=self.settings.auth_token,
            writes_allowed=not self.settings.read_only,
            encryption=keys,
        )


ATTACH_WAIT = 30.0
"""Seconds a command waits for the data dir held by another process: a server starting (then it attaches) or
another command finishing (then it starts its own)."""


class _Patience:
    """Waiting for a data dir another process holds: told once, then up to :data:`ATTACH_WAIT` s."""

    def __init__(self, waiting: Callable[[str], None] | None) -> None:
        self.deadline = time.monotonic() + ATTACH_WAIT
        self.waiting = waiting

    async def wait(self, busy: Exception) -> None:
        """A short pause before the next try; ``busy`` raised again once the time is up."""
        if time.monotonic() > self.deadline:
            raise busy
        if self.waiting is not None:
            self.waiting(f"{busy}; waiting up to {ATTACH_WAIT:g} s for it")
            self.waiting = None
        await asyncio.sleep(0.25)


@asynccontextmanager
async def open_backend(
    settings: Settings,
    *,
    demo: bool = False,
    waiting: Callable[[str], None] | None = None,
    secrets: Secrets | None = None,
) -> AsyncIterator[Backend]:
    """The backend of ``settings``; ``demo`` creates the local demo org when it has no database. ``secrets``: the
    run's :class:`Secrets` when it exists already (the CLI's context); the backend adds its tokens to it.

    Local Turso: the one already serving this data dir (``tursotui local serve``, a console) when there is one,
    over HTTP; else it is started in this process and stopped, with every sqld, when the block ends. While
    another process holds the data dir without serving it yet, ``waiting(why)`` is told once and this waits up
    to :data:`ATTACH_WAIT` seconds."""
    if settings.target == "cloud":
        from tursotui.platform import PlatformClient

        settings.require_cloud_credentials()
        assert settings.api_token is not None
        platform = PlatformClient(settings.api_token, organization=settings.organization)
        try:
            yield Backend(settings, platform, secrets=_shared(secrets))
        finally:
            await platform.aclose()
        return

    from tursotui.local.engine.lock import LocalTursoBusy
    from tursotui.local.host.serve import local_data_dir, start_local_turso

    patience = _Patience(waiting)
    while True:
        running = find_running(local_data_dir(settings))
        if running is not None:
            platform = attached_client(running)
            try:
                yield Backend(settings, platform, attached=running, secrets=_shared(secrets))
            finally:
                await platform.aclose()
            return
        try:
            started = await start_local_turso(settings, demo=demo)
            break
        except LocalTursoBusy as exc:
            await patience.wait(exc)
    turso = started.turso
    try:
        platform = turso.platform_client()
        try:
            yield Backend(settings, platform, turso, notes=started.notes, secrets=_shared(secrets))
        finally:
            await platform.aclose()
    finally:
        await turso.close()


def _shared(secrets: Secrets | None) -> Secrets:
    return Secrets() if secrets is None else secrets


def attached_client(running: RunningTurso) -> PlatformClient:
    """A Platform client of the local Turso another process serves (127.0.0.1, its API token)."""
    from tursotui.platform import PlatformClient
    from tursotui.support.loopback import loopback_only_tls

    return PlatformClient(
        running.api_token,
        organization=running.organization,
        base_url=running.base_url,
        tls=loopback_only_tls,  # plain HTTP to 127.0.0.1: no CA bundle loaded
    )


async def running_or_free(
    local_dir: Path, waiting: Callable[[str], None] | None = None
) -> RunningTurso | None:
    """The local Turso serving ``local_dir``, or None once nothing holds it (this process may start one).

    While another process holds it without serving yet (a server starting, a command at work), ``waiting(why)``
    is told once and this waits up to :data:`ATTACH_WAIT` seconds, then raises its :class:`LocalTursoBusy`."""
    from tursotui.local.engine.lock import DataDirLock, LocalTursoBusy

    patience = _Patience(waiting)
    while True:
        running = find_running(local_dir)
        if running is not None:
            return running
        probe = DataDirLock(local_dir)
        try:
            probe.acquire()
        except LocalTursoBusy as exc:
            await patience.wait(exc)
            continue
        probe.release()
        return None


async def spawn_local_turso(
    options: CliOptions, local_dir: Path, *, start: bool = True
) -> LocalTursoProcess:
    """The local Turso in a child process (the console's way: it boots on the other core while the app
    imports); the console reaches it through this layer, never through ``tursotui.local`` itself.
    ``start=False``: its socket is bound (the Platform client can be made), the child starts at ``start()``."""
    from tursotui.local.host.process import LocalTursoProcess

    return await LocalTursoProcess.spawn(options, local_dir, start=start)

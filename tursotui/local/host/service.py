"""`LocalTurso`: the control plane, its sqld processes and the Platform API app, as one object.

async with LocalTurso(data_dir) as turso:
    client = turso.platform_client()      # in-process, no port (httpx ASGI transport)
    await client.list_databases()
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from tursotui.local.api.platform import build_app
from tursotui.local.control.billing import Billing
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.pitr import Pitr
from tursotui.local.control.profile import Profile, ProfileChoice
from tursotui.local.control.state import now
from tursotui.local.engine.lock import DataDirLock
from tursotui.local.engine.pidfiles import StaleSqld
from tursotui.local.host import private_files

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.applications import Starlette

    from tursotui.platform import PlatformClient

IN_PROCESS_BASE_URL = "http://local-turso.invalid"

log = logging.getLogger(__name__)


class LocalTurso:
    def __init__(
        self,
        data_dir: Path,
        *,
        retention_days: int = 30,
        recovery_interval: float = 60.0,
        binary: Path | None = None,
        clock: Callable[[], float] = now,
        profile: ProfileChoice | None = None,
        quota_interval: float = 60.0,
    ) -> None:
        """``profile``: the plan, overages and platform to serve (None: what the data dir recorded, else
        the default); ``quota_interval``: seconds between two checks of the plan's quotas (0: only when
        the usage is asked for)."""
        self.cp = ControlPlane(data_dir, binary=binary, clock=clock, profile=profile)
        self.pitr = Pitr(self.cp, retention_days=retention_days, interval=recovery_interval)
        self.billing = Billing(self.cp, interval=quota_interval)
        self.app: Starlette = build_app(self.cp, self.pitr, self.billing)
        self.lock = DataDirLock(data_dir)
        self._started = False

    @property
    def data_dir(self) -> Path:
        return self.cp.data_dir

    @property
    def api_token(self) -> str:
        return self.cp.api_token

    @property
    def organization(self) -> str:
        return self.cp.state.slug

    @property
    def profile(self) -> Profile:
        """The plan, overages and platform served (known once started)."""
        return self.cp.profile

    @property
    def stale_sqld_stopped(self) -> list[StaleSqld]:
        """sqld processes a tursotui that died left running on this data dir, stopped at start."""
        return [found for found in self.cp.dataplane.stale or [] if found.cleaned]

    @property
    def notices(self) -> list[str]:
        """What the start had to fix and the operator should know: left-over sqld stopped, ports moved."""
        return [found.describe() for found in self.stale_sqld_stopped] + [
            *self.cp.dataplane.moved,
            *self.cp.notices,
        ]

    async def start(self) -> LocalTurso:
        if not self._started:
            private_files.enter()  # everything it writes (keys, recovery points, uploads) is 0600/0700
            try:
                self.lock.acquire()  # refused (LocalTursoBusy) while another process runs this dir
            except BaseException:
                private_files.leave()
                raise
            try:
                await self.cp.start()
                await self.billing.start()
            except BaseException:
                await self._abandon_start()
                raise
            self.pitr.start()
            self._started = True
        return self

    async def _abandon_start(self) -> None:
        """After a failed start: stop what it started, release the lock. The start's error is the one
        raised; one of this cleanup is logged, and never keeps sqld running or the lock held."""
        try:
            await self.billing.stop()
        except Exception:
            log.exception("stopping the quota checks after a failed start failed")
        try:
            await self.cp.close()
        except Exception:
            log.exception("stopping sqld after a failed start failed")
        finally:
            self.lock.release()
            private_files.leave()

    async def close(self) -> None:
        """Stop everything; sqld is stopped and the lock released even when a stop before fails."""
        try:
            try:
                await self.pitr.stop()
            finally:
                await self.billing.stop()
        finally:
            try:
                await self.cp.close()
            finally:
                self.lock.release()
                if self._started:
                    private_files.leave()
                self._started = False

    async def __aenter__(self) -> LocalTurso:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    def platform_client(self, **kwargs: object) -> PlatformClient:
        from tursotui.platform import PlatformClient

        return PlatformClient(
            self.api_token,
            organization=self.organization,
            base_url=IN_PROCESS_BASE_URL,
            transport=self.transport(),
            **kwargs,  # type: ignore[arg-type]
        )

"""Recovery points and restores, orchestrated over the control plane and its sqld."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from typing import Any

from tursotui.local.api.render import iso
from tursotui.local.control import encryption
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.recovery import RecoveryPoints, place_database_file
from tursotui.local.control.state import DatabaseState, RecoveryPoint
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.errors import ApiError

log = logging.getLogger(__name__)


class Pitr:
    def __init__(self, cp: ControlPlane, *, retention_days: int, interval: float) -> None:
        self.cp = cp
        self.points = RecoveryPoints(cp.data_dir / "recovery", retention_days=retention_days)
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        cp.on_seeded = self._seeded

    async def _seeded(self, name: str) -> None:
        await self.take_initial(name, reason="seeded by upload")

    def list(self, name: str) -> list[RecoveryPoint]:
        self.cp.database(name)
        return sorted(self.cp.state.recovery_points.get(name, []), key=lambda p: p.taken_at)

    async def _replication_index(self, db: DatabaseState) -> int | None:
        try:
            stats = await self.cp.stats(db)
        except ApiError:
            return None
        value = stats.get("replication_index")
        return int(value) if isinstance(value, int) else None

    async def take(self, name: str, reason: str = "on demand") -> RecoveryPoint:
        db = self.cp.database(name)
        self.cp.dataplane.node(PRIMARY)
        index = await self._replication_index(db)
        point = await asyncio.to_thread(
            self.points.take,
            db,
            self.cp.namespace_file(db.name),
            reason=reason,
            now=self.cp.clock(),
            replication_index=index,
        )
        async with self.cp.lock:
            if name in self.cp.state.databases:
                points = [*self.cp.state.recovery_points.get(name, []), point]
                self.cp.state.recovery_points[name] = self.points.prune(points, self.cp.clock())
                self.cp.save(name)
        return point

    async def take_initial(self, name: str, reason: str) -> None:
        """The first point of a database just created: it exists whatever happens here, so a
        failure (sqld down) is logged, not raised; the next run of the loop takes it."""
        try:
            await self.take(name, reason=reason)
        except ApiError as exc:
            log.warning("no recovery point of new database %s yet: %s", name, exc.message)

    async def take_if_changed(self) -> None:
        """A point of each database written to through its URL since its last point (at most every
        :attr:`interval`), or that has none yet. The proxies say which were written to
        (engine.tally): the others are not asked anything, so a fleet of idle databases costs nothing
        here (asking sqld for an index loads the namespace)."""
        proxies = self.cp.dataplane.proxies
        for name, db in list(self.cp.state.databases.items()):
            if db.broken:
                continue
            proxy = proxies.get((name, PRIMARY))
            points = self.cp.state.recovery_points.get(name, [])
            written = proxy is not None and proxy.tally.written
            if points and not written:
                continue
            last = max(points, key=lambda p: p.taken_at, default=None)
            if last is not None and self.cp.clock() - last.taken_at < self.interval:
                continue
            if proxy is not None:
                proxy.tally.written = False
            index = await self._replication_index(db)
            if last is None or index is None or index != last.replication_index:
                await self.take(name, reason="changed" if last else "initial")
            else:
                async with self.cp.lock:
                    self.cp.state.recovery_points[name] = self.points.prune(points, self.cp.clock())

    def start(self) -> None:
        if self._task is None and self.interval > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.take_if_changed()
            except ApiError as exc:
                log.warning("recovery point skipped: %s", exc.message)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def restore(
        self,
        source: str,
        timestamp: str,
        new_name: str,
        group: str,
        *,
        remote_encryption: Any = None,
    ) -> tuple[DatabaseState, RecoveryPoint]:
        """Seed NEW database ``new_name`` from the latest point of ``source`` at or before ``timestamp``;
        an encrypted source needs its key in ``remote_encryption`` (control.encryption)."""
        src = self.cp.database(source)
        encrypted = encryption.for_copy(src, remote_encryption)
        point = self.points.choose(src, self.list(source), timestamp, self.cp.clock())
        point_file = self.points.file(point)

        async def seed(db: DatabaseState) -> None:
            target = self.cp.namespace_file(db.name).parent
            await asyncio.to_thread(place_database_file, point_file, target)
            try:
                await self.cp.create_namespace(db)
            except ApiError:
                await asyncio.to_thread(shutil.rmtree, target, True)
                raise

        db = await self.cp.create_database(
            new_name,
            group,
            seed=seed,
            parent={"id": src.uuid, "name": src.name, "branched_at": iso(point.taken_at)},
            seeded_from={
                "type": "database",
                "name": source,
                "timestamp": timestamp,
                "recovery_point": point.id,
            },
            encrypted=encrypted,
        )
        await self.take_initial(new_name, reason="initial")
        return db, point


def point_json(point: RecoveryPoint) -> dict[str, Any]:
    return {
        "id": point.id,
        "database": point.database,
        "taken_at": iso(point.taken_at),
        "size_bytes": point.size_bytes,
        "reason": point.reason,
        "replication_index": point.replication_index,
    }

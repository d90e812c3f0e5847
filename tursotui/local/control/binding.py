"""Binding every database's listener at start: before the start returns for a small org, after it for a
fleet.

Each database instance has its own 127.0.0.1 port (stock clients cannot resolve ``<db>.localhost`` on this
machine: sqld-namespaces.md §2). Binding 10,000 listeners takes seconds (~4 s measured), while sqld is
ready in ~25 ms with 10,000 namespaces (it loads them lazily): an org with more than
:data:`BACKGROUND_FROM` databases binds them in the background, and the Platform API answers meanwhile.

A URL the Platform API reports always works: every answer that names a database's URL (a list page, a
database, its instances, a token for it) first waits for that database's listener — bound at once, out
of turn, when the background has not reached it. A client cannot reach a database before that anyway:
until its port is bound nothing listens there (connection refused, never another database's answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

log = logging.getLogger(__name__)

BACKGROUND_FROM = 500
"""Orgs with more databases than this bind their listeners after the start (below: ~0.2 s, before)."""
BATCH = 64
"""Databases made live side by side."""


class Binder:
    """The databases whose listeners are still to be bound, and the background task binding them."""

    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp
        self.pending: dict[str, DatabaseState] = {}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.task: asyncio.Task[None] | None = None
        self.seconds: float | None = None
        """How long binding every listener took (None until it is done)."""

    async def bind_all(self, databases: Iterable[DatabaseState], *, background: bool) -> None:
        self.pending = {db.name: db for db in databases}
        self.seconds = None
        if background:
            self.task = asyncio.create_task(self._run())
        else:
            await self._run()

    async def _run(self) -> None:
        started = time.monotonic()
        count = len(self.pending)
        while self.pending:
            batch = [self.pending.pop(name) for name in list(self.pending)[:BATCH]]
            await asyncio.gather(*(self._start(db) for db in batch))
        await asyncio.gather(*list(self.running.values()), return_exceptions=True)
        self.seconds = time.monotonic() - started
        if count > BACKGROUND_FROM:
            log.info("%d databases' listeners bound in %.1f s", count, self.seconds)
        if self.cp.dataplane.moved and self.task is not None:
            async with self.cp.lock:  # the new ports, so the URLs stay stable from now on
                self.cp.save()

    def _start(self, db: DatabaseState) -> asyncio.Task[None]:
        task = self.running.get(db.name)
        if task is None:
            task = asyncio.create_task(self._attach(db))
            self.running[db.name] = task
            task.add_done_callback(lambda _: self.running.pop(db.name, None))
        return task

    async def _attach(self, db: DatabaseState) -> None:
        cp = self.cp
        try:
            await cp.attach(db, create=False, warm=False)  # replicas load on first use
        except (ApiError, OSError) as exc:
            await cp.dataplane.unexpose(db.name)
            reason = exc.message if isinstance(exc, ApiError) else str(exc)
            cp.mark_broken(db, f"could not be served: {reason}")

    async def ready(self, names: Iterable[str]) -> None:
        """Return once the listeners of ``names`` are bound (binding them now when still pending)."""
        if not self.pending and not self.running:
            return
        waits = []
        for name in names:
            db = self.pending.pop(name, None)
            if db is not None:
                waits.append(self._start(db))
            elif name in self.running:
                waits.append(self.running[name])
        if waits:
            await asyncio.gather(*(asyncio.shield(t) for t in waits))

    async def close(self) -> None:
        self.pending.clear()
        tasks = [t for t in (self.task, *self.running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.task = None

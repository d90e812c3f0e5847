"""A fleet: an organization of N tenant databases, a database per tenant, as Turso's users run them.

``tursotui local serve --fleet N`` and ``benchmarks/fleet_build.py`` build it: tenants ``tenant-00000`` …
spread over :data:`FLEET_GROUPS` groups (``fleet-1`` …, each with its own signing key and primary
location), each tenant holding the xSwarm guide's schema and indexes (:data:`tursotui.support.xswarm.SCHEMA`)
with the guide's two test users and a few generated ones. Databases that exist are left as they are: a
second run with the same N is a no-op, a larger N adds the missing ones.

Every tenant starts as a copy of one template file per group, made once with SQLite (the schema and rows
are the same SQL a client would run): its namespace is created around the copy in one sqld admin call, the
path a restore takes, and its first recovery point is a hard link to the same template (the point is the
database as created, and costs no space). This is ~30 times cheaper than running the schema over Hrana for
each tenant. Fleet groups have no replica location: each replica instance is one more listening port
(the open-file limit caps the instances one local Turso serves: engine.limits.max_listeners).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tursotui.local.control import platforms
from tursotui.local.control.recovery import place_database_file
from tursotui.local.control.state import DatabaseState, RecoveryPoint
from tursotui.local.errors import ApiError
from tursotui.local.host.service import LocalTurso
from tursotui.support.xswarm import INSERT_USER, SCHEMA, TEST_USERS, generated_users

log = logging.getLogger(__name__)

FLEET_GROUPS = 4
TENANT_USERS = 3
"""Generated users per tenant, beside the guide's two test users."""
MAX_FLEET = 20_000
IN_FLIGHT = 4
"""Creates side by side: sqld makes 4 concurrent creates ~2.5x faster than one after another."""
BATCH = 256
PROGRESS_EVERY = 500


def tenant_name(n: int) -> str:
    return f"tenant-{n:05d}"


def group_name(n: int) -> str:
    return f"fleet-{n + 1}"


@dataclass(frozen=True)
class FleetReport:
    wanted: int
    created: int
    existing: int
    seconds: float

    def describe(self) -> str:
        return (
            f"Fleet: {self.wanted:,} tenant databases in {FLEET_GROUPS} groups "
            f"({self.created:,} created, {self.existing:,} already there) in {self.seconds:.1f} s."
        )


def check_count(count: int) -> None:
    if not 0 <= count <= MAX_FLEET:
        raise ValueError(f"invalid fleet size {count}: 0 to {MAX_FLEET:,} tenant databases")


def make_template(path: Path, seed: int) -> None:
    """A tenant's database file: the guide's schema, its test users and :data:`TENANT_USERS` more."""
    conn = sqlite3.connect(path)
    try:
        for statement in SCHEMA:
            conn.execute(statement)
        rows = [*TEST_USERS, *generated_users(TENANT_USERS, seed=seed)]
        conn.executemany(INSERT_USER, [list(row) for row in rows])
        conn.commit()
    finally:
        conn.close()
    path.chmod(0o600)


async def _ensure_groups(turso: LocalTurso) -> list[str]:
    cp = turso.cp
    codes = sorted(platforms.locations(cp.profile.platform))
    names = [group_name(n) for n in range(FLEET_GROUPS)]
    for n, name in enumerate(names):
        if name not in cp.state.groups:
            await cp.create_group(name, codes[n % len(codes)])
    return names


def _first_point(turso: LocalTurso, db: DatabaseState, template: Path) -> RecoveryPoint:
    """The tenant's first recovery point: the template it was made from, hard-linked (copied where
    links are refused)."""
    points = turso.pitr.points
    taken = turso.cp.clock()
    point_id = (
        datetime.fromtimestamp(taken, UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    )
    target = points.path_for(db, point_id)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.link(template, target)
    except OSError:
        import shutil

        shutil.copyfile(template, target)
    return RecoveryPoint(
        id=point_id,
        database=db.name,
        taken_at=taken,
        file=str(target.relative_to(points.directory)),
        size_bytes=template.stat().st_size,
        reason="initial",
        replication_index=None,
    )


async def build_fleet(
    turso: LocalTurso, count: int, *, progress: Callable[[str], None] | None = None
) -> FleetReport:
    """Make sure ``turso`` holds tenants ``0 … count-1``, :data:`IN_FLIGHT` creates at a time."""
    check_count(count)
    started = time.monotonic()
    cp = turso.cp
    groups = await _ensure_groups(turso)
    missing = [n for n in range(count) if tenant_name(n) not in cp.state.databases]
    if not missing:
        return FleetReport(count, 0, count, time.monotonic() - started)
    scratch = Path(tempfile.mkdtemp(prefix="fleet-", dir=cp.data_dir))
    try:
        templates = {}
        for n, group in enumerate(groups):
            templates[group] = scratch / f"{group}.db"
            await asyncio.to_thread(make_template, templates[group], seed=n)
        slots = asyncio.Semaphore(IN_FLIGHT)
        done = 0

        async def create(n: int) -> None:
            nonlocal done
            async with slots:
                await _create_tenant(turso, tenant_name(n), groups[n % len(groups)], templates)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(f"fleet: {done:,} of {len(missing):,} created")

        for start in range(0, len(missing), BATCH):  # a bounded number of tasks at a time
            await asyncio.gather(*(create(n) for n in missing[start : start + BATCH]))
    finally:
        await asyncio.to_thread(_remove_tree, scratch)
    return FleetReport(count, len(missing), count - len(missing), time.monotonic() - started)


async def _create_tenant(
    turso: LocalTurso, name: str, group: str, templates: dict[str, Path]
) -> None:
    cp = turso.cp
    template = templates[group]

    async def seed(db: DatabaseState) -> None:
        target = cp.namespace_file(db.name).parent
        place_database_file(template, target)
        try:
            await cp.create_namespace(db)
        except ApiError:
            _remove_tree(target)
            raise
        cp.state.recovery_points[db.name] = [_first_point(turso, db, template)]

    try:
        await cp.create_database(name, group, seed=seed)
    except BaseException:
        with contextlib.suppress(KeyError):
            if name not in cp.state.databases:
                del cp.state.recovery_points[name]
        raise


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)

"""What a start of the local Turso checks and repairs before it serves: one bad database never
takes the organization down.

- A database whose stored state is unusable (a bad value, its group missing, its sqld namespace
  gone) is *broken*: not served, shown with a local-only ``broken`` reason, named in the notices.
  The others serve; state.json is left as it is.
- A rotate killed midway is finished backwards: every database of the group gets the key it had.
- Namespaces no database owns (a create or restore killed midway) are removed from sqld.
- Nothing else is re-sent to sqld: its metastore keeps every namespace's config across restarts.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.local.control import binding
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.engine.settle import settle
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

log = logging.getLogger(__name__)


async def serve_all(cp: ControlPlane) -> None:
    """Start every sqld, serve every database that can be served, repair what a kill left."""
    cp.dataplane.reserved = {
        port
        for db in cp.state.databases.values()
        if db.problem() is None
        for port in (db.port, *db.replica_ports.values())
        if port
    }
    await cp.dataplane.start_node(PRIMARY)  # the replicas need its gRPC port
    locations = {loc for g in cp.state.groups.values() for loc in cp.replica_locations(g)}
    # Replica sqlds boot side by side (each start waits on its /health).
    await settle(cp.dataplane.start_node(loc) for loc in sorted(locations))
    await asyncio.gather(attach_all(cp), remove_orphans(cp))  # each mostly waits on its files
    await finish_rotations(cp)
    await cp.dataplane.closed()
    if cp.dataplane.moved and cp.binder.task is None:
        cp.save()  # the new ports, so the URLs stay stable from now on (else: once all are bound)
    cp.dataplane.start_watchdog()


def mark_broken(cp: ControlPlane, db: DatabaseState, reason: str) -> None:
    """``db`` is not served by this start (the others are); its JSON and the notices say why."""
    db.broken = reason
    note = f"database {db.name} is not served: {reason}"
    log.warning("%s", note)
    cp.notices.append(note)


def stored_problem(cp: ControlPlane, db: DatabaseState) -> str | None:
    """Why ``db`` cannot be served as state.json describes it, or None."""
    problem = db.problem()
    if problem is not None:
        return f"state.json: {problem}"
    if db.group not in cp.state.groups:
        return f"its group {db.group!r} is not in state.json"
    data = cp.namespace_file(db.name)
    if not data.parent.is_dir():
        return f"its sqld namespace is gone ({data.parent} does not exist)"
    if not data.is_file():  # sqld would serve an empty database in its place
        return f"its database file is gone ({data} does not exist)"
    return None


def _problems(cp: ControlPlane) -> list[tuple[DatabaseState, str]]:
    out = []
    for db in list(cp.state.databases.values()):
        db.broken = None
        problem = stored_problem(cp, db)
        if problem is not None:
            out.append((db, problem))
    return out


async def attach_all(cp: ControlPlane) -> None:
    """Serve every database that can be served (a fleet's in the background: control.binding); mark
    the others broken. Their files are checked in one thread: 10,000 checks take ~0.1 s."""
    for db, problem in await asyncio.to_thread(_problems, cp):
        cp.mark_broken(db, problem)
    servable = [db for db in cp.state.databases.values() if db.broken is None]
    await cp.binder.bind_all(servable, background=len(servable) > binding.BACKGROUND_FROM)


async def finish_rotations(cp: ControlPlane) -> None:
    """A rotate killed midway left ``group-X.pem.next``: put the group's key back on every sqld."""
    for group in cp.keys.interrupted_rotations():
        if group in cp.state.groups:
            members = [
                db for db in cp.state.databases.values() if db.group == group and db.broken is None
            ]
            key = cp.keys.get(group)
            await settle(cp.set_key(db, key) for db in members)
            cp.notices.append(
                f"group {group}: a token rotation was interrupted; its databases keep the key "
                "they had before it (rotate again to replace it)"
            )
        cp.keys.abort_rotation(group)


async def clear_orphan(cp: ControlPlane, name: str) -> None:
    """Delete the namespaces of ``name``, which no database owns (called under the control-plane
    lock for a name the state does not have): left by a create that failed midway, e.g. on a full
    disk, where sqld may know the name in memory only. The primary is asked through its admin API
    (it gets every create); a replica can only hold a dir, made by a query."""
    for node in list(cp.dataplane.nodes.values()):
        directory = node.process.db_path / "dbs" / name
        exists = await asyncio.to_thread(directory.exists)
        if node.primary and (exists or name in cp.failed_creates):
            # Only a create that failed in this run can leave a name in sqld's memory with no dir:
            # every other create of a fleet skips this admin call.
            await cp.dataplane.node(node.location).admin.delete_namespace_if_exists(name)
            cp.failed_creates.discard(name)
        elif not exists:
            continue
        if await asyncio.to_thread(directory.exists):
            log.warning("removing namespace %s left by a failed create (%s)", name, directory)
            await asyncio.to_thread(shutil.rmtree, directory, True)


def metastore_namespaces(db_path: Path) -> set[str]:
    """The namespaces sqld's metastore holds (read-only; sqld keeps serving)."""
    store = db_path / "metastore" / "data"
    if not store.exists():
        return set()
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT namespace FROM namespace_configs").fetchall()
    except sqlite3.Error as exc:
        log.warning("cannot read sqld's metastore %s: %s", store, exc)
        return set()
    finally:
        conn.close()
    return {str(row[0]) for row in rows}


def namespace_dirs(db_path: Path) -> set[str]:
    directory = db_path / "dbs"
    if not directory.is_dir():
        return set()
    return {entry.name for entry in directory.iterdir() if entry.is_dir()}


async def remove_orphans(cp: ControlPlane) -> None:
    """Remove the namespaces no database owns, on the primary and every replica sqld."""
    owned = set(cp.state.databases)
    for node in list(cp.dataplane.nodes.values()):
        db_path = node.process.db_path
        known = await asyncio.to_thread(metastore_namespaces, db_path)
        dirs = await asyncio.to_thread(namespace_dirs, db_path)
        for name in sorted((known | dirs) - owned - {"default"}):
            try:
                if name in known:
                    await node.admin.delete_namespace_if_exists(name)
                await asyncio.to_thread(shutil.rmtree, db_path / "dbs" / name, True)
            except ApiError as exc:
                log.warning("could not remove namespace %s (%s): %s", name, node.location, exc)
                continue
            where = "the primary" if node.primary else f"the {node.location} replica"
            cp.notices.append(
                f"removed namespace {name} from {where}: no database owns it "
                "(left by a create or restore that was killed midway)"
            )

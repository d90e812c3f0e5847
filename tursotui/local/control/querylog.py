"""Top queries kept across restarts: sqld counts every statement a namespace ran (count, total milliseconds,
rows read and written) in its stats' ``queries``, but only in memory — a restarted sqld starts again from
none. Turso Cloud keeps them (turso-cli asks for the last 24 hours), so the local Turso reads them when it
stops and keeps each run's in ``queries.json`` (0600), per database and instance, for :data:`KEEP_DAYS`.

The answer to ``GET …/usage/queries`` is the runs kept that ended within the window asked plus what the
running sqld counted, merged by query text over the instances (:func:`merge`). A hard kill loses the
current run's counts (nothing reads them), as a sqld restarted by the watchdog does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.errors import ApiError
from tursotui.support.atomic import atomic_write

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

log = logging.getLogger(__name__)

FILE = "queries.json"
KEEP_DAYS = 30
MAX_PER_RUN = 200
"""Queries kept per instance and run (the most rows first)."""
READ_TIMEOUT = 5.0
"""Seconds the reading at stop may take (thousands of databases: the rest is left out)."""
READ_CONCURRENCY = 16
Run = dict[str, Any]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def statements(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements one sqld counted: its ``queries.stats`` (with count and time), else ``top_queries``."""
    queries = stats.get("queries")
    found = queries.get("stats") if isinstance(queries, dict) else None
    if not isinstance(found, list):
        found = stats.get("top_queries")
    return [q for q in found or [] if isinstance(q, dict) and isinstance(q.get("query"), str)]


def _rows(entry: dict[str, Any]) -> int:
    return int(entry["rows_read"]) + int(entry["rows_written"])


def merge(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One entry per query text, summed; most rows first, then most run. ``count`` and ``elapsed_ms``
    only where sqld gave them."""
    merged: dict[str, dict[str, Any]] = {}
    for found in lists:
        for q in found:
            entry = merged.setdefault(
                q["query"], {"query": q["query"], "rows_read": 0, "rows_written": 0}
            )
            entry["rows_read"] += int(_number(q.get("rows_read")))
            entry["rows_written"] += int(_number(q.get("rows_written")))
            if "count" in q:
                entry["count"] = entry.get("count", 0) + int(_number(q["count"]))
            if "elapsed_ms" in q:
                total = entry.get("elapsed_ms", 0.0) + _number(q["elapsed_ms"])
                entry["elapsed_ms"] = round(total, 3)
    out = list(merged.values())
    out.sort(key=lambda e: (-_rows(e), -e.get("count", 0), e["query"]))
    return out


def load(cp: ControlPlane) -> list[Run]:
    """The runs kept; an unreadable file is named in the log and read as none (it is replaced at stop)."""
    path = cp.data_dir / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.warning(
            "%s cannot be read (%s): the top queries of earlier runs are left out", path, exc
        )
        return []
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        log.warning("%s is not a list of runs: the top queries of earlier runs are left out", path)
        return []
    return [
        r
        for r in runs
        if isinstance(r, dict)
        and isinstance(r.get("database"), str)
        and isinstance(r.get("until"), int | float)
        and isinstance(r.get("queries"), list)
    ]


def kept(cp: ControlPlane, db: DatabaseState, since: float | None) -> list[list[dict[str, Any]]]:
    """What earlier runs counted for ``db``, those that ended at or after ``since``."""
    return [
        statements({"top_queries": r["queries"]})
        for r in load(cp)
        if r["database"] == db.uuid and (since is None or r["until"] >= since)
    ]


def _loaded(cp: ControlPlane, db: DatabaseState, location: str) -> bool:
    """Whether the replica sqld at ``location`` has ``db`` (asking it for stats would load it)."""
    node = cp.dataplane.nodes.get(location)
    return node is not None and (node.process.db_path / "dbs" / db.name).is_dir()


async def live(
    cp: ControlPlane, db: DatabaseState, *, loaded_only: bool = False
) -> list[list[dict[str, Any]]]:
    """What each running sqld counted for ``db`` (a replica that never loaded it ran none of its queries);
    ``loaded_only``: replicas that do not have it are not asked (at stop: none is made to load it)."""
    out = []
    for instance in cp.instances(db):
        location = PRIMARY if instance["type"] == "primary" else instance["region"]
        if loaded_only and location != PRIMARY and not _loaded(cp, db, location):
            continue
        try:
            out.append(statements(await cp.stats(db, location)))
        except ApiError:
            if location == PRIMARY:
                raise
    return out


async def record(cp: ControlPlane) -> None:
    """At stop: keep this run's counts of every served database, drop runs past :data:`KEEP_DAYS` and
    of databases gone. Never fails the stop: a sqld that does not answer is skipped, a problem logged."""
    now = cp.clock()
    runs = [
        r
        for r in load(cp)
        if r["until"] >= now - KEEP_DAYS * 86_400
        and r["database"] in {db.uuid for db in cp.state.databases.values()}
    ]
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(db: DatabaseState) -> None:
        async with limit:
            try:
                found = merge(await live(cp, db, loaded_only=True))[:MAX_PER_RUN]
            except ApiError:
                return  # its sqld is gone or restarting: nothing to read
        if found:
            runs.append({"database": db.uuid, "until": now, "queries": found})

    # Only databases that had requests in this run counted anything: the others are not asked (asking
    # loads a namespace; a fleet of 10,000 idle ones would take minutes and evict the busy ones).
    used = {name for (name, _), proxy in cp.dataplane.proxies.items() if proxy.tally.requests}
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            await asyncio.gather(
                *(
                    one(db)
                    for db in list(cp.state.databases.values())
                    if db.broken is None and db.name in used
                )
            )
    except TimeoutError:
        log.info("the top queries of this run were read only in part (%.0f s)", READ_TIMEOUT)
    if not runs and not (cp.data_dir / FILE).exists():
        return  # nothing counted, nothing kept: no file
    try:
        text = json.dumps({"runs": runs}, separators=(",", ":"))
        atomic_write(cp.data_dir / FILE, text.encode("utf-8"), mode=0o600)
    except OSError as exc:
        log.warning("the top queries of this run could not be kept: %s", exc)

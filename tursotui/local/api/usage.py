"""Local Turso routes for database creation with seeds, usage, stats, plans and recovery points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tursotui.local.api import render
from tursotui.local.api.platform import json_body, ok
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.dbconfig import checked_size_limit
from tursotui.local.control.pitr import Pitr, point_json
from tursotui.local.control.plans import CURRENT_PLAN, PLANS, add_usage, usage_object
from tursotui.local.control.state import DatabaseState
from tursotui.local.control.uploads import seed_from_dump
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.engine.filesize import database_bytes
from tursotui.local.errors import ApiError


class UsageApi:
    def __init__(self, cp: ControlPlane, pitr: Pitr) -> None:
        self.cp = cp
        self.pitr = pitr

    # --- create, with seeds ---

    async def create_database(self, request: Request) -> Response:
        body = await json_body(request)
        name, group = body.get("name"), body.get("group", "default")
        if not isinstance(name, str) or not isinstance(group, str):
            raise ApiError(400, "body must have a string 'name' (and 'group')")
        size_limit = checked_size_limit(body.get("size_limit"))
        seed = body.get("seed")
        if seed is None:
            db = await self.cp.create_database(name, group, size_limit=size_limit)
            await self.pitr.take_initial(name, reason="initial")
            return ok({"database": self._created(db)})
        if not isinstance(seed, dict):
            raise ApiError(400, "seed must be an object")
        kind = seed.get("type")
        if kind == "database":
            source = seed.get("name") or seed.get("value")
            if not isinstance(source, str):
                raise ApiError(400, "seed.name must name the source database")
            timestamp = seed.get("timestamp")
            if timestamp is None:
                db = await self._fork(source, name, group)
                return ok({"database": self._created(db)})
            if not isinstance(timestamp, str):
                raise ApiError(400, "seed.timestamp must be an RFC 3339 string")
            db, point = await self.pitr.restore(source, timestamp, name, group)
            created = self._created(db)
            created["recovery_point"] = point_json(point)
            return ok({"database": created})
        if kind == "database_upload":
            db = await self.cp.create_database(
                name, group, size_limit=size_limit, awaiting_upload=True
            )
            return ok({"database": self._created(db)})
        if kind == "dump":
            url = seed.get("url")
            if not isinstance(url, str):
                raise ApiError(400, "seed.url must be the file:// URL of a .sql dump")

            async def from_dump(db: DatabaseState) -> None:
                await seed_from_dump(self.cp, db, url)

            db = await self.cp.create_database(name, group, size_limit=size_limit, seed=from_dump)
            await self.pitr.take_initial(name, reason="seeded from dump")
            return ok({"database": self._created(db)})
        raise ApiError(
            400, f"unknown seed type {kind!r}: use 'database', 'database_upload' or (local) 'dump'"
        )

    async def _fork(self, source: str, name: str, group: str) -> DatabaseState:
        src = self.cp.database(source)
        point = await self.pitr.take(source, reason=f"copy to {name}")
        db, _ = await self.pitr.restore(source, render.iso(point.taken_at + 0.5), name, group)
        db.parent = {"id": src.uuid, "name": src.name, "branched_at": render.iso(point.taken_at)}
        return db

    def _created(self, db: DatabaseState) -> dict[str, Any]:
        return {"DbId": db.uuid, "Hostname": self.cp.hostname(db), "Name": db.name}

    # --- usage and stats ---

    async def _database_usage(self, db: DatabaseState) -> dict[str, Any]:
        instances = []
        total: dict[str, int] = {}
        primary_storage = 0
        for instance in self.cp.instances(db):
            location = PRIMARY if instance["type"] == "primary" else instance["region"]
            try:
                stats = await self.cp.stats(db, location)
            except ApiError:
                stats = {}
            node = self.cp.dataplane.nodes.get(location)
            directory = (
                node.process.db_path / "dbs" / db.name if node is not None else Path("/nonexistent")
            )
            usage = usage_object(stats, database_bytes(directory))
            instances.append({"uuid": instance["uuid"], "usage": usage})
            total = add_usage(total, usage)
            if location == PRIMARY:
                primary_storage = usage["storage_bytes"]
        # Rows read and written add up over the instances; storage is the database's, counted once (the
        # primary's), as Turso Cloud bills it, not once per replica.
        total["storage_bytes"] = primary_storage
        return {"uuid": db.uuid, "instances": instances, "total": total}

    async def database_usage(self, request: Request) -> Response:
        db = self.cp.database(request.path_params["db"])
        return ok({"database": await self._database_usage(db)})

    async def database_stats(self, request: Request) -> Response:
        db = self.cp.database(request.path_params["db"])
        stats = await self.cp.stats(db)
        top = stats.get("top_queries")
        queries = [
            {
                "query": str(q.get("query", "")),
                "rows_read": int(q.get("rows_read") or 0),
                "rows_written": int(q.get("rows_written") or 0),
            }
            for q in top or []
            if isinstance(q, dict)
        ]
        return ok({"top_queries": queries or None})

    async def organization_usage(self, request: Request) -> Response:
        databases = []
        total: dict[str, int] = {}
        for db in list(self.cp.state.databases.values()):
            usage = await self._database_usage(db)
            databases.append(usage)
            total = add_usage(total, usage["total"])
        locations = {loc for g in self.cp.state.groups.values() for loc in g.locations}
        summary = {
            "rows_read": total.get("rows_read", 0),
            "rows_written": total.get("rows_written", 0),
            "databases": len(self.cp.state.databases),
            "locations": len(locations),
            "storage_bytes": total.get("storage_bytes", 0),
            "groups": len(self.cp.state.groups),
            "bytes_synced": total.get("bytes_synced", 0),
        }
        return ok(
            {"organization": {"uuid": self.cp.state.slug, "usage": summary, "databases": databases}}
        )

    async def list_plans(self, request: Request) -> Response:
        return ok({"plans": PLANS})

    async def subscription(self, request: Request) -> Response:
        return ok(
            {
                "subscription": {
                    "name": CURRENT_PLAN,
                    "plan": CURRENT_PLAN,
                    "overages": False,
                    "timeline": "monthly",
                }
            }
        )

    # --- replication (local only) ---

    async def replication(self, request: Request) -> Response:
        """Replication index of every instance; lag = primary index - replica index."""
        db = self.cp.database(request.path_params["db"])
        out = []
        primary_index: int | None = None
        for instance in self.cp.instances(db):
            location = PRIMARY if instance["type"] == "primary" else instance["region"]
            try:
                raw = (await self.cp.stats(db, location)).get("replication_index")
                index = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
            except ApiError:
                index = None
            if instance["type"] == "primary":
                primary_index = index
            out.append(
                {"name": instance["name"], "type": instance["type"], "replication_index": index}
            )
        for entry in out:
            index = entry["replication_index"]
            entry["lag"] = (
                None
                if entry["type"] == "primary" or index is None or primary_index is None
                else max(0, primary_index - index)
            )
        return ok({"instances": out, "note": "local Turso only"})

    # --- recovery points (local only) ---

    async def list_recovery_points(self, request: Request) -> Response:
        points = self.pitr.list(request.path_params["db"])
        return ok(
            {
                "recovery_points": [point_json(p) for p in points],
                "retention_days": self.pitr.points.retention / 86_400,
                "note": "local Turso only: Turso Cloud has no API that lists recovery points",
            }
        )

    async def take_recovery_point(self, request: Request) -> Response:
        point = await self.pitr.take(request.path_params["db"])
        return ok({"recovery_point": point_json(point)})

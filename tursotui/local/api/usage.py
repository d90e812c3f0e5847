"""Local Turso routes for database creation with seeds, usage, stats, plans and recovery points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tursotui.local.api import render
from tursotui.local.api.dumps import is_uploaded_dump
from tursotui.local.api.platform import json_body, ok
from tursotui.local.control import encryption, refusals, uploads
from tursotui.local.control.billing import Billing
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.dbconfig import checked_size_limit
from tursotui.local.control.pitr import Pitr, point_json
from tursotui.local.control.plans import RETENTION_DAYS, plan_table
from tursotui.local.control.recovery import DAY, parse_timestamp
from tursotui.local.control.state import DatabaseState
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.errors import ApiError


class UsageApi:
    def __init__(self, cp: ControlPlane, pitr: Pitr, billing: Billing) -> None:
        self.cp = cp
        self.pitr = pitr
        self.billing = billing

    # --- create, with seeds ---

    async def create_database(self, request: Request) -> Response:
        body = await json_body(request)
        name, group = body.get("name"), body.get("group", "default")
        if not isinstance(name, str) or not isinstance(group, str):
            raise ApiError(400, "body must have a string 'name' (and 'group')")
        size_limit = checked_size_limit(body.get("size_limit"))
        seed = body.get("seed")
        wanted = body.get("remote_encryption")  # checked per seed (control.encryption)
        if seed is None:
            db = await self.cp.create_database(
                name, group, size_limit=size_limit, encrypted=encryption.for_new(wanted)
            )
            await self.pitr.take_initial(name, reason="initial")
            return ok({"database": self._created(db)})
        if not isinstance(seed, dict):
            raise ApiError(400, "seed must be an object")
        kind = seed.get("type")
        if kind == "database":
            source = seed.get("name") or seed.get("value")
            if not isinstance(source, str):
                raise ApiError(400, "seed.name (or seed.value) must name the source database")
            timestamp = seed.get("timestamp")
            if timestamp is None:
                db = await self._fork(source, name, group, wanted)
                return ok({"database": self._created(db)})
            if not isinstance(timestamp, str):
                raise ApiError(400, "seed.timestamp must be an RFC 3339 string")
            self._check_plan_window(timestamp)
            encryption.for_copy(self.cp.database(source), wanted)  # refused before any work
            db, point = await self.pitr.restore(
                source, timestamp, name, group, remote_encryption=wanted
            )
            created = self._created(db)
            created["recovery_point"] = point_json(point)
            return ok({"database": created})
        if kind == "database_upload":
            uploads.check_upload_group(self.cp, group)
            db = await self.cp.create_database(
                name,
                group,
                size_limit=size_limit,
                awaiting_upload=True,
                encrypted=encryption.for_new(wanted),
            )
            return ok({"database": self._created(db)})
        if kind == "dump":
            url = seed.get("url")
            if not isinstance(url, str):
                raise ApiError(400, "seed.url must be the file:// URL of a .sql dump")

            async def from_dump(db: DatabaseState) -> None:
                await uploads.seed_from_dump(self.cp, db, url)

            try:
                db = await self.cp.create_database(
                    name,
                    group,
                    size_limit=size_limit,
                    seed=from_dump,
                    encrypted=encryption.for_new(wanted),
                )
            finally:  # POST …/databases/dumps's file serves one create, made or refused
                uploaded = Path(url.removeprefix("file://"))
                if is_uploaded_dump(self.cp, uploaded):
                    uploaded.unlink(missing_ok=True)  # noqa: ASYNC240 (one unlink)
            await self.pitr.take_initial(name, reason="seeded from dump")
            return ok({"database": self._created(db)})
        raise ApiError(
            400, f"unknown seed type {kind!r}: use 'database', 'database_upload' or (local) 'dump'"
        )

    def _check_plan_window(self, timestamp: str) -> None:
        """A restore older than the plan's point-in-time recovery window is refused, as on Turso Cloud
        (Free 1 day, Developer 10, Scaler 30, Pro 90). A time older than the recovery points kept here
        (``[turso.backup] retention_days``) is left to the restore, which names that limit."""
        age = self.cp.clock() - parse_timestamp(timestamp)
        plan = self.cp.profile.plan
        window = RETENTION_DAYS[plan] * DAY
        if window < age <= self.pitr.points.retention:
            days = RETENTION_DAYS[plan]
            oldest = render.iso(self.cp.clock() - window)
            raise ApiError(
                400,
                f"timestamp {timestamp} is outside the {plan} plan's point-in-time recovery window "
                f"({days} day{'s' if days != 1 else ''}); the oldest restorable time is {oldest}",
            )

    async def _fork(self, source: str, name: str, group: str, wanted: Any) -> DatabaseState:
        src = self.cp.database(source)
        encryption.for_copy(src, wanted)  # refused before a point is taken
        point = await self.pitr.take(source, reason=f"copy to {name}")
        db, _ = await self.pitr.restore(
            source, render.iso(point.taken_at + 0.5), name, group, remote_encryption=wanted
        )
        db.parent = {"id": src.uuid, "name": src.name, "branched_at": render.iso(point.taken_at)}
        return db

    def _created(self, db: DatabaseState) -> dict[str, Any]:
        return {"DbId": db.uuid, "Hostname": self.cp.hostname(db), "Name": db.name}

    # --- usage and stats (this billing period's: tursotui.local.control.billing) ---

    async def database_usage(self, request: Request) -> Response:
        db = self.cp.database(request.path_params["db"])
        return ok({"database": await self.billing.database_usage(db)})

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
        return ok({"organization": await self.billing.organization_usage()})

    async def list_plans(self, request: Request) -> Response:
        """The plan table by base names: a subscription's ``<plan>_overages`` is looked up without the
        suffix (turso-cli cmd/plan.go)."""
        refusals.check(self.cp, "plans")
        profile = self.cp.profile
        return ok({"plans": plan_table(profile.platform, self.cp.plan_overrides)})

    async def subscription(self, request: Request) -> Response:
        refusals.check(self.cp, "subscription")
        profile = self.cp.profile
        return ok(
            {
                "subscription": {
                    "name": profile.plan,
                    "plan": profile.subscription_plan,
                    "overages": profile.overages,
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

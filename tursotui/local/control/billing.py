"""What the organization used this billing period, and what the plan's quotas block.

Turso Cloud counts rows read, rows written and bytes synced per calendar month (UTC: the quota resets on
the 1st, as turso-cli's ``plan show`` says) and storage as it stands. sqld's counters only grow (each
namespace keeps them in its ``stats.json``), so the period's usage is a counter less its value when the
period began: ``billing.json`` holds the period and that baseline per instance.

Without overages, a quota passed blocks the organization as the docs say (help/usage-and-billing: "any
query that exceeds these limits will result in a failure, indicated by the ``BLOCKED`` error code"): the
organization answers ``blocked_reads``/``blocked_writes``, every database's namespace gets sqld's own
``block_reads``/``block_writes`` with a reason, and sqld (the server code Turso Cloud runs) refuses each
statement with the Hrana error ``BLOCKED`` — "Operation was blocked: <reason>" — on the primary and on every
replica. Rows read blocks reads and writes (sqld refuses a write when reads are blocked); rows written or
storage blocks writes. With overages nothing is blocked: the excess is billed, shown as usage over the quota.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tursotui.local.control.plans import add_usage, limit, usage_object
from tursotui.local.control.state import StateError
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.engine.filesize import database_bytes
from tursotui.local.engine.settle import settle
from tursotui.local.errors import ApiError
from tursotui.support.atomic import atomic_write
from tursotui.support.humanize import size

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.profile import Profile
    from tursotui.local.control.state import DatabaseState

log = logging.getLogger(__name__)

BILLING_FILE = "billing.json"
COUNTERS = ("rows_read", "rows_written", "bytes_synced")


@dataclass(frozen=True)
class Block:
    """What the plan's quotas block right now, and why (sqld's ``block_reason``)."""

    reads: bool = False
    writes: bool = False
    reason: str | None = None


def effective(db: DatabaseState, block: Block) -> dict[str, Any]:
    """The namespace config of ``db``: its own block flags or the organization's."""
    return {
        "block_reads": db.block_reads or block.reads,
        "block_writes": db.block_writes or block.writes,
        "block_reason": block.reason if block.reads or block.writes else None,
    }


def period_of(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m")


def reset_date(period: str) -> str:
    """The first day of the month after ``period`` ("2026-12" -> "2027-01-01")."""
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"


def decide(
    usage: Mapping[str, int], quotas: Mapping[str, Any], profile: Profile, period: str
) -> Block:
    """The block the organization's ``usage`` of ``period`` earns on its plan (none with overages)."""
    if profile.overages:
        return Block()
    plan = f"the {profile.plan} plan's"
    until = f"until the quota resets on {reset_date(period)} (UTC)"
    causes: list[str] = []
    reads = limit(quotas, "rowsRead")
    writes = limit(quotas, "rowsWritten")
    storage = limit(quotas, "storage")
    read_over = reads is not None and usage["rows_read"] > reads
    if read_over:
        causes.append(
            f"{plan} {reads:,} rows read for {period} are used up: reads and writes are blocked {until}"
        )
    if writes is not None and usage["rows_written"] > writes:
        causes.append(
            f"{plan} {writes:,} rows written for {period} are used up: writes are blocked {until}"
        )
    storage_over = storage is not None and usage["storage_bytes"] > storage
    if storage_over:
        causes.append(
            f"{plan} {size(storage)} of storage are used up ({size(usage['storage_bytes'])}): "
            "writes are blocked while storage is over the quota"
        )
    if not causes:
        return Block()
    tail = (
        "upgrade the plan" if profile.plan == "starter" else "enable overages or upgrade the plan"
    )
    return Block(reads=read_over, writes=True, reason="; ".join(causes) + f" ({tail})")


class Billing:
    """The period's usage of every database, and the quota block it earns (applied to sqld)."""

    def __init__(self, cp: ControlPlane, *, interval: float = 60.0) -> None:
        self.cp = cp
        self.interval = interval
        self.path = cp.data_dir / BILLING_FILE
        self.period = ""
        self.baseline: dict[str, dict[str, int]] = {}
        self.pending: set[str] = set()
        """Instances whose baseline the period's start could not read (sqld down): taken at their next reading."""
        self.applied = True
        self._dirty = False
        self._measuring = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # --- the file ---

    def load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.period = period_of(self.cp.clock())
            return
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StateError(
                f"{self.path} cannot be read ({exc}); nothing was changed: fix it or move it away"
            ) from None
        try:
            self.period = str(data["period"])
            reset_date(self.period)
            self.baseline = {
                str(k): {c: int(v[c]) for c in COUNTERS} for k, v in data["baseline"].items()
            }
            self.pending = {str(k) for k in data.get("pending", [])}
            block = data["block"]
            self.cp.quota_block = Block(
                bool(block["reads"]), bool(block["writes"]), block.get("reason")
            )
            self.applied = bool(data.get("applied", True))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(
                f"{self.path} is corrupt ({type(exc).__name__}: {exc}); nothing was changed: fix it or move it away"
            ) from None

    def save(self) -> None:
        block = self.cp.quota_block
        data = {
            "period": self.period,
            "baseline": self.baseline,
            "pending": sorted(self.pending),
            "block": {"reads": block.reads, "writes": block.writes, "reason": block.reason},
            "applied": self.applied,
        }
        atomic_write(
            self.path, (json.dumps(data, sort_keys=True) + "\n").encode("utf-8"), mode=0o600
        )
        self._dirty = False

    # --- lifecycle ---

    async def start(self) -> None:
        """Load the period; a block the last run left (or did not finish applying) is decided again now,
        so a restart with overages or a larger plan lifts it before anything is served."""
        self.load()
        if self.cp.quota_block != Block() or not self.applied:
            await self.organization_usage()
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.organization_usage()
            except (ApiError, OSError) as exc:
                log.warning("quota check skipped: %s", exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # --- measuring ---

    async def _instances(
        self, db: DatabaseState
    ) -> list[tuple[dict[str, Any], dict[str, int], bool]]:
        """Each instance of ``db`` with sqld's counters and its storage (and whether sqld answered)."""
        out = []
        for instance in self.cp.instances(db):
            location = PRIMARY if instance["type"] == "primary" else instance["region"]
            try:
                stats: dict[str, Any] | None = await self.cp.stats(db, location)
            except ApiError:
                stats = None
            node = self.cp.dataplane.nodes.get(location)
            directory = (
                node.process.db_path / "dbs" / db.name if node is not None else Path("/nonexistent")
            )
            out.append(
                (instance, usage_object(stats or {}, database_bytes(directory)), stats is not None)
            )
        return out

    def _of_period(self, uuid: str, raw: dict[str, int], measured: bool) -> dict[str, int]:
        if uuid in self.pending:
            if not measured:
                return {**raw, **dict.fromkeys(COUNTERS, 0)}
            self.baseline[uuid] = {c: raw[c] for c in COUNTERS}
            self.pending.discard(uuid)
            self._dirty = True
        base = self.baseline.get(uuid, {})  # none: the instance is new since the period began
        return {**raw, **{c: max(0, raw[c] - base.get(c, 0)) for c in COUNTERS}}

    async def _roll_over_if_due(self) -> None:
        period = period_of(self.cp.clock())
        if period == self.period:
            return
        baseline: dict[str, dict[str, int]] = {}
        pending: set[str] = set()
        for db in list(self.cp.state.databases.values()):
            for instance, raw, measured in await self._instances(db):
                if measured:
                    baseline[instance["uuid"]] = {c: raw[c] for c in COUNTERS}
                else:
                    pending.add(instance["uuid"])
        self.period, self.baseline, self.pending = period, baseline, pending
        self._dirty = True

    async def _database_usage(self, db: DatabaseState) -> dict[str, Any]:
        instances = []
        total: dict[str, int] = {}
        primary_storage = 0
        for instance, raw, measured in await self._instances(db):
            usage = self._of_period(instance["uuid"], raw, measured)
            instances.append({"uuid": instance["uuid"], "usage": usage})
            total = add_usage(total, usage)
            if instance["type"] == "primary":
                primary_storage = usage["storage_bytes"]
        # Rows add up over the instances; storage is the database's, counted once (the primary's), as
        # Turso Cloud bills it, not once per replica.
        total["storage_bytes"] = primary_storage
        return {"uuid": db.uuid, "instances": instances, "total": total}

    async def database_usage(self, db: DatabaseState) -> dict[str, Any]:
        """``GET …/databases/{d}/usage``'s ``database``: this period's usage of ``db``."""
        async with self._measuring:
            await self._roll_over_if_due()
            usage = await self._database_usage(db)
            if self._dirty:
                self.save()
            return usage

    async def organization_usage(self) -> dict[str, Any]:
        """``GET …/usage``'s ``organization``; the block it earns is applied to every database."""
        async with self._measuring:
            await self._roll_over_if_due()
            databases = [
                await self._database_usage(db) for db in list(self.cp.state.databases.values())
            ]
            if self._dirty:
                self.save()
        total: dict[str, int] = {}
        for usage in databases:
            total = add_usage(total, usage["total"])
        state = self.cp.state
        summary = {
            "rows_read": total.get("rows_read", 0),
            "rows_written": total.get("rows_written", 0),
            "databases": len(state.databases),
            "locations": len({loc for g in state.groups.values() for loc in g.locations}),
            "storage_bytes": total.get("storage_bytes", 0),
            "groups": len(state.groups),
            "bytes_synced": total.get("bytes_synced", 0),
        }
        await self.enforce(summary)
        return {"uuid": state.slug, "usage": summary, "databases": databases}

    async def enforce(self, summary: Mapping[str, int]) -> None:
        """Apply the block ``summary`` earns to every database, when it is not what sqld has."""
        block = decide(summary, self.cp.quotas(), self.cp.profile, self.period)
        if block == self.cp.quota_block and self.applied:
            return
        async with self.cp.lock:
            self.cp.quota_block = block
            self.applied = False
            self.save()  # a run killed midway applies it again at its next start
            live = [db for db in self.cp.state.databases.values() if db.broken is None]
            await settle(self.cp.apply_config(db) for db in live)
            self.applied = True
            self.save()
        if block.reads or block.writes:
            log.warning("the organization is blocked: %s", block.reason)

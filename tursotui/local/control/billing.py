"""What the organization used this billing period, and what the plan's quotas block.

Turso Cloud counts rows read, rows written and bytes synced per calendar month (UTC: the quota resets on
the 1st, as turso-cli's ``plan show`` says) and storage as it stands. Rows are counted in each database
instance's proxy from sqld's answers (engine.tally) and added to a meter per instance
(:mod:`tursotui.local.control.meters`); storage is read from the database file only for databases written to
since it was last read. No sqld is asked for stats: at 10,000 databases that took ~15 s per check and
evicted the busy namespaces (sqld-namespaces.md §6). ``billing.json`` (0600) holds the period, the meters and
the block.

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
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tursotui.local.control.meters import Meters
from tursotui.local.control.plans import add_usage, limit
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
SAVE_EVERY = 10.0
"""Seconds between two saves of meters that only moved (a new period or a block is saved at once)."""


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


def instance_uuid(db: DatabaseState, location: str) -> str:
    """The uuid ``GET …/instances`` gives the instance of ``db`` at ``location`` (ControlPlane.instances)."""
    if location == PRIMARY:
        return db.uuid
    return str(uuid.uuid5(uuid.UUID(db.uuid), location))


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
        self.meters = Meters()
        self.applied = True
        self.terms: dict[str, Any] | None = None
        """The profile and plan overrides the recorded block was decided on."""
        self._saved_at = 0.0
        self._storage: dict[str, int] = {}
        """Each database's size as last measured (dropped when the proxy sees a write)."""
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
            self.meters = Meters.from_json(data)
            block = data["block"]
            self.cp.quota_block = Block(
                bool(block["reads"]), bool(block["writes"]), block.get("reason")
            )
            self.applied = bool(data["applied"])
            self.terms = data.get("terms")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(
                f"{self.path} is corrupt ({type(exc).__name__}: {exc}); nothing was changed: "
                "fix it or move it away"
            ) from None

    def save(self) -> None:
        block = self.cp.quota_block
        data = {
            "period": self.period,
            **self.meters.to_json(),
            "block": {"reads": block.reads, "writes": block.writes, "reason": block.reason},
            "applied": self.applied,
            "terms": self.terms,
        }
        text = json.dumps(data, sort_keys=True) + "\n"
        atomic_write(self.path, text.encode("utf-8"), mode=0o600)
        self.meters.saved()
        self._saved_at = time.monotonic()

    def _save_readings(self, *, now: bool = False) -> None:
        """Meters that moved are saved at most every :data:`SAVE_EVERY` seconds (and at stop)."""
        if self.meters.changed and (now or time.monotonic() - self._saved_at >= SAVE_EVERY):
            self.save()

    def _current_terms(self) -> dict[str, Any]:
        return {"profile": asdict(self.cp.profile), "overrides": self.cp.plan_overrides}

    # --- lifecycle ---

    async def start(self) -> None:
        """Load the period. The block is decided again now when the profile or the plan overrides changed
        since it was, or when the last run left one (or did not finish applying it): a restart with
        overages or a larger plan lifts it, and a smaller one imposes it, before anything is served."""
        self.load()
        blocked = self.cp.quota_block != Block()
        if blocked or not self.applied or self.terms != self._current_terms():
            await self.organization_usage()
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        """Check the quotas every :attr:`interval` seconds until cancelled: a check that fails is logged
        and the next one runs (an unexpected error must not end the checks, nor :meth:`stop` re-raise it)."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.organization_usage()
            except (ApiError, OSError) as exc:
                log.warning("quota check skipped: %s", exc)
            except Exception:
                log.exception("quota check failed unexpectedly; the next one runs as planned")

    async def stop(self) -> None:
        """Stop checking; keep what the proxies counted since the last check."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._collect()
        if self.meters.changed:
            try:
                self._save_readings(now=True)
            except OSError as exc:
                log.warning("the last reading of the usage meters was not saved: %s", exc)

    # --- measuring: counted by the proxies, never asked of sqld ---

    def _collect(self) -> None:
        """Move what each instance's proxy counted into its meter. Databases that were written to get
        their storage measured again at the next usage answer; no sqld is asked anything (a stats call
        loads the namespace and evicts busy ones: sqld-namespaces.md §6)."""
        for tally in list(self.cp.dataplane.counted):
            db = self.cp.state.databases.get(tally.database)
            if db is None:
                tally.take()  # its database was deleted
                continue
            if tally.rows_written:
                self._storage.pop(db.name, None)
            self.meters.add(instance_uuid(db, tally.location), tally.take())

    def _storage_of(self, db: DatabaseState) -> int:
        """The database's size: its primary file's pages in use, kept until the next write through it."""
        size = self._storage.get(db.name)
        if size is None:
            size = database_bytes(self.cp.namespace_file(db.name).parent)
            self._storage[db.name] = size
        return size

    def _database_usage(self, db: DatabaseState) -> dict[str, Any]:
        instances = []
        total: dict[str, int] = {}
        group = self.cp.state.groups.get(db.group)
        locations = [PRIMARY, *(self.cp.replica_locations(group) if group else [])]
        storage = self._storage_of(db)
        for location in locations:
            usage: dict[str, int] = {
                **self.meters.usage_of(instance_uuid(db, location)),
                "storage_bytes": storage if location == PRIMARY else 0,
            }
            instances.append({"uuid": instance_uuid(db, location), "usage": usage})
            total = add_usage(total, usage)
        # Rows add up over the instances; storage is the database's, counted once (the primary's), as
        # Turso Cloud bills it, not once per replica.
        total["storage_bytes"] = storage
        return {"uuid": db.uuid, "instances": instances, "total": total}

    def _roll_over_if_due(self) -> None:
        period = period_of(self.cp.clock())
        if period == self.period:
            return
        self.period = period
        self.meters.new_period()
        self.save()

    async def database_usage(self, db: DatabaseState) -> dict[str, Any]:
        """``GET …/databases/{d}/usage``'s ``database``: this period's usage of ``db``."""
        async with self._measuring:
            self._collect()
            self._roll_over_if_due()
            usage = await asyncio.to_thread(self._database_usage, db)
            self._save_readings()
            return usage

    async def organization_usage(self) -> dict[str, Any]:
        """``GET …/usage``'s ``organization``; the block it earns is applied to every database. O(N) in
        memory (plus a file read for each database written to since it was last measured)."""
        async with self._measuring:
            self._collect()
            self._roll_over_if_due()
            live = list(self.cp.state.databases.values())
            databases = await asyncio.to_thread(lambda: [self._database_usage(db) for db in live])
            self._save_readings()
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
        terms = self._current_terms()
        if block == self.cp.quota_block and self.applied:
            if terms != self.terms:
                self.terms = terms
                self.save()
            return
        async with self.cp.lock:
            self.cp.quota_block = block
            self.terms = terms
            self.applied = False
            self.save()  # a run killed midway applies it again at its next start
            live = [db for db in self.cp.state.databases.values() if db.broken is None]
            await settle(self.cp.apply_config(db) for db in live)
            self.applied = True
            self.save()
        if block.reads or block.writes:
            log.warning("the organization is blocked: %s", block.reason)

"""The local embedded replica of ``[turso.local_replica]``, headless: what it syncs, why it cannot, how far behind
the primary it is. The console's Replica tab and ``tursotui replica status`` show the same numbers from here.

Nothing here reads the remote database: the primary's frame number comes from the local Turso's
``local-replication`` endpoint (sqld's admin stats, :meth:`PlatformClient.local_replication`), so watching the lag
spends no rows read. Turso Cloud has no such endpoint: its lag in frames is "n/a".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tursotui.libsql.replica import ReplicaStatus
from tursotui.platform import PlatformClient, PlatformError

if TYPE_CHECKING:
    from tursotui.config import Settings

NO_SETTINGS = (
    "this console was started without resolved settings (config.toml and .env), so the replica's "
    "path, URL and token are unknown: start it with `tursotui`"
)
HOW_TO_ENABLE = (
    "off: set enabled = true under [turso.local_replica] in config.toml "
    "(or run `tursotui setup --local-replica`); s still syncs by hand"
)
NO_URL = "no database URL: set [turso] database_url in config.toml (or run `tursotui setup`)"
NEEDS_AUTH = (
    "no database token: set TURSO_AUTH_TOKEN in the environment or .env "
    "(`tursotui token create --write-env`)"
)
CLOUD_LAG = (
    "n/a on Turso Cloud: no API gives the primary's frame number (a query would spend rows read)"
)
OTHER_URL = "n/a: the file came from another URL"
ASKING = "asking the local Turso…"


@dataclass(frozen=True)
class ReplicaTarget:
    """What is synced, from the resolved settings."""

    path: Path
    enabled: bool
    interval: int
    url: str
    database: str
    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings | None) -> ReplicaTarget | None:
        if settings is None:
            return None
        local = settings.config.turso.local_replica
        return cls(
            path=local.local_db_path,
            enabled=local.enabled,
            interval=local.sync_interval_seconds,
            url=settings.database_url,
            database=settings.config.turso.database_name,
            token=settings.auth_token,
        )

    @property
    def cannot_sync(self) -> str:
        """Why a sync cannot even start ("" when it can)."""
        if not self.url:
            return NO_URL
        if not self.token:
            return NEEDS_AUTH
        return ""


@dataclass(frozen=True)
class PrimaryFrame:
    """The primary's replication index, or why it is not known."""

    index: int | None
    reason: str = ""


async def primary_frame(platform: PlatformClient, *, local: bool, database: str) -> PrimaryFrame:
    """Ask the local Turso (Platform API, no SQL) for the primary's replication index."""
    if not local:
        return PrimaryFrame(None, CLOUD_LAG)
    if not database:
        return PrimaryFrame(None, "n/a: no [turso] database_name to ask the local Turso about")
    try:
        instances = await platform.local_replication(database)
    except (PlatformError, httpx.HTTPError) as exc:
        return PrimaryFrame(None, f"n/a: the local Turso did not say ({exc})")
    primary = next((i for i in instances.values() if i.type == "primary"), None)
    if primary is None or primary.replication_index is None:
        return PrimaryFrame(None, f"n/a: the local Turso reports no frame number for {database}")
    return PrimaryFrame(primary.replication_index)


@dataclass(frozen=True)
class Lag:
    """How far the replica is behind: in time since its last sync, and in frames behind the primary."""

    since_sync: float | None
    """Seconds since the last sync; None: never synced."""
    frames_behind: int | None
    """The primary's frame number minus the replica's; None: not known (:attr:`reason` says why)."""
    primary_frame: int | None
    replica_frame: int | None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds_since_sync": None if self.since_sync is None else int(self.since_sync),
            "frames_behind": self.frames_behind,
            "primary_frame": self.primary_frame,
            "replica_frame": self.replica_frame,
            "note": self.reason or None,
        }


def lag(
    target: ReplicaTarget, state: ReplicaStatus, primary: PrimaryFrame | None, now: datetime
) -> Lag:
    """The replica's lag now; ``primary`` None: not asked yet."""
    since = None if state.last_sync is None else max(0.0, now.timestamp() - state.last_sync)
    index = None if primary is None else primary.index
    if state.url and state.url != target.url:
        return Lag(since, None, index, state.frame_no, OTHER_URL)
    if primary is None:
        return Lag(since, None, None, state.frame_no, ASKING)
    if primary.index is None:
        return Lag(since, None, None, state.frame_no, primary.reason)
    if state.frame_no is None:
        why = f"unknown (the primary is at frame {primary.index})"
        return Lag(since, None, primary.index, None, why)
    return Lag(since, max(0, primary.index - state.frame_no), primary.index, state.frame_no)


def _rounder(whole: int) -> str:
    if whole >= 172_800:
        return f" ({whole // 86_400} d)"
    if whole >= 7_200:
        return f" ({whole // 3_600} h)"
    if whole >= 120:
        return f" ({whole // 60} min)"
    return ""


def ago(seconds: float, suffix: str = " ago") -> str:
    """``42 s ago``; longer spans add a rounder unit: ``7,260 s ago (2 h)``."""
    whole = max(0, int(seconds))
    return f"{whole:,} s{suffix}{_rounder(whole)}"


def since_text(found: Lag) -> str:
    """The lag in time, as the Replica tab and ``replica status`` say it."""
    if found.since_sync is None:
        return "n/a: not synced yet"
    return ago(found.since_sync, " since the last sync")


def behind_text(found: Lag) -> str:
    """The lag in frames, or why it is not known."""
    if found.frames_behind is None:
        return found.reason
    gap = found.frames_behind
    return f"{gap:,} frame{'s' if gap != 1 else ''} behind the primary (at frame {found.primary_frame})"


def first_delay(target: ReplicaTarget, state: ReplicaStatus, now: datetime) -> float:
    """Seconds until the first auto-sync: at once if never synced, else when the interval is up."""
    if state.last_sync is None:
        return 0.0
    age = now.timestamp() - state.last_sync
    return min(float(target.interval), max(0.0, target.interval - age))

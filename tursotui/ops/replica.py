"""The local embedded replica of ``[turso.local_replica]``, headless: what it syncs, why it cannot, how far behind
the primary it is. The console's Replica tab and ``tursotui replica status`` show the same numbers from here.

Nothing here reads the remote database: the primary's position comes from the sync server's own ``GET /info`` on
the database URL (:func:`tursotui.libsql.replica.remote_position`; no SQL, so watching the lag spends no rows read).
Positions are sync-v2 frames within a generation, the numbers the replica's ``-info`` holds: the local Turso's
``/info`` names its current generation, its last frame, and the frame count of every generation it keeps, so a
replica a few generations behind is counted exactly. Turso Cloud's ``/info`` says the generation only: its lag in
frames is "n/a".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tursotui.libsql.replica import LEGACY, ReplicaError, ReplicaStatus, remote_position

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
    """The primary's sync position (last frame of its current generation), or why it is not known."""

    index: int | None
    reason: str = ""
    generation: int | None = None
    generations: dict[int, int] = field(default_factory=dict)
    """Frames of each generation the server keeps (to count the frames of a replica generations behind)."""


async def primary_frame(target: ReplicaTarget, *, local: bool) -> PrimaryFrame:
    """Ask the local Turso's sync endpoint (``GET /info``, no SQL) where the primary is."""
    if not local:
        return PrimaryFrame(None, CLOUD_LAG)
    if target.cannot_sync:
        return PrimaryFrame(None, f"n/a: {target.cannot_sync}")
    try:
        found = await remote_position(target.url, target.token)
    except ReplicaError as exc:
        return PrimaryFrame(None, f"n/a: the local Turso did not say ({exc})")
    if found.frame_no is None:
        return PrimaryFrame(None, f"n/a: the local Turso reports no frame number for {target.url}")
    return PrimaryFrame(found.frame_no, "", found.generation, found.generations)


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
    if state.legacy:
        return Lag(since, None, primary.index, None, f"n/a: the replica file was {LEGACY}")
    if state.frame_no is None:
        why = f"unknown (the primary is at frame {primary.index})"
        return Lag(since, None, primary.index, None, why)
    behind = _behind(primary.index, primary, state.frame_no, state.generation)
    if isinstance(behind, str):
        return Lag(since, None, primary.index, state.frame_no, behind)
    return Lag(since, behind, primary.index, state.frame_no)


def _behind(index: int, primary: PrimaryFrame, frame: int, generation: int | None) -> int | str:
    """Frames from the replica's position to the primary's, across generations; or why not known."""
    if generation is None or primary.generation is None or generation == primary.generation:
        return max(0, index - frame)
    if generation > primary.generation:
        return (
            f"n/a: the replica is in generation {generation}, past the primary's "
            f"{primary.generation}: reset it"
        )
    counts = primary.generations
    if generation not in counts:
        return f"n/a: the primary no longer keeps the replica's generation {generation}: reset it"
    between = sum(counts.get(g, 0) for g in range(generation + 1, primary.generation))
    return max(0, counts[generation] - frame) + between + index


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

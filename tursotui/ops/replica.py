"""The local embedded replica of ``[turso.local_replica]``, headless: what it syncs, why it cannot, how far behind
the primary it is. The console's Replica tab and ``tursotui replica status`` show the same numbers from here.

Nothing here reads the remote database: the primary's position comes from the sync server's own ``GET /info`` on
the database URL (:func:`tursotui.libsql.replica.remote_position`; no SQL, so watching the lag spends no rows read).
Positions are sync-v2 frames within a generation, the numbers the replica's ``-info`` holds: the local Turso's
``/info`` names its current generation, its last frame, and the frame count of every generation it keeps, so a
replica a few generations behind is counted exactly. Turso Cloud's ``/info`` documents the generation only: its
lag in frames is "n/a" (with the generations, when they say something), never a guessed number.

The target is re-read when config.toml or .env change under a running console (:func:`reread`): the setup and
restore wizards repoint them, and the Replica tab must then show, and sync, the new database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tursotui.libsql.replica import LEGACY, ReplicaError, ReplicaStatus, remote_position, status
from tursotui.libsql.replica_meta import Origin, mismatch

if TYPE_CHECKING:
    from tursotui.config import Settings
    from tursotui.platform import PlatformClient

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
CLOUD_LAG = "n/a on Turso Cloud: its /info gives the generation, not a frame number"
OTHER_URL = "n/a: the file came from another database"
ASKING = "asking the database's sync endpoint (GET /info)…"


@dataclass(frozen=True)
class ReplicaTarget:
    """What is synced, from the resolved settings."""

    path: Path
    enabled: bool
    interval: int
    url: str
    database: str
    token: str | None = field(default=None, repr=False)
    organization: str = ""
    database_id: str = ""
    """The Platform API's id of the database, when it was asked (a sync records it beside the file)."""

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
            organization=settings.organization,
        )

    @property
    def origin(self) -> Origin:
        """The database this target syncs from, as the record beside the file names it."""
        return Origin(self.url, self.database, self.database_id, self.organization)

    @property
    def cannot_sync(self) -> str:
        """Why a sync cannot even start ("" when it can)."""
        if not self.url:
            return NO_URL
        if not self.token:
            return NEEDS_AUTH
        return ""


async def identify(target: ReplicaTarget, platform: PlatformClient) -> ReplicaTarget:
    """``target`` with its database's id from the Platform API (no SQL), so that a database deleted and
    re-created under the same name and URL is told apart; unchanged when it cannot be asked."""
    from tursotui.platform import PlatformError

    if not target.database:
        return target
    try:
        found = await platform.get_database(target.database)
    except (PlatformError, OSError):
        return target
    organization = platform.organization or target.organization
    return replace(target, database_id=found.db_id, organization=organization)


@dataclass(frozen=True)
class PrimaryFrame:
    """The primary's sync position (last frame of its current generation), or why it is not known."""

    index: int | None
    reason: str = ""
    generation: int | None = None
    generations: dict[int, int] = field(default_factory=dict)
    """Frames of each generation the server keeps (to count the frames of a replica generations behind)."""


async def primary_frame(target: ReplicaTarget, *, local: bool) -> PrimaryFrame:
    """Ask the database's sync endpoint (``GET /info``, no SQL, no rows read) where the primary is."""
    if target.cannot_sync:
        return PrimaryFrame(None, f"n/a: {target.cannot_sync}")
    where = "the local Turso" if local else "Turso Cloud"
    try:
        found = await remote_position(target.url, target.token)
    except ReplicaError as exc:
        return PrimaryFrame(None, f"n/a: {where} did not say ({exc})")
    if found.frame_no is None:
        why = (
            CLOUD_LAG
            if not local
            else f"n/a: the local Turso reports no frame number for {target.url}"
        )
        return PrimaryFrame(None, why, found.generation)
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
    other = other_database(target, state)
    if other:
        return Lag(since, None, index, state.frame_no, other)
    if primary is None:
        return Lag(since, None, None, state.frame_no, ASKING)
    if primary.index is None:
        return Lag(since, None, None, state.frame_no, _generations_only(primary, state))
    if state.legacy:
        return Lag(since, None, primary.index, None, f"n/a: the replica file was {LEGACY}")
    if state.frame_no is None:
        why = f"unknown (the primary is at frame {primary.index})"
        return Lag(since, None, primary.index, None, why)
    behind = _behind(primary.index, primary, state.frame_no, state.generation)
    if isinstance(behind, str):
        return Lag(since, None, primary.index, state.frame_no, behind)
    return Lag(since, behind, primary.index, state.frame_no)


def other_database(target: ReplicaTarget, state: ReplicaStatus) -> str:
    """Why the file is not the configured database's replica ("" when it is, or nothing says otherwise)."""
    if state.origin is None or not target.url or not mismatch(state.origin, target.origin):
        return ""
    ids = state.origin.describe(ids=False) == target.origin.describe(ids=False)
    return (
        f"{OTHER_URL}: {state.origin.describe(ids=ids)}, not {target.origin.describe(ids=ids)} — a sync "
        "is refused until `tursotui replica reset` (r in the Replica tab): reset it"
    )


def _generations_only(primary: PrimaryFrame, state: ReplicaStatus) -> str:
    """The lag when the server gives its generation but no frame number (Turso Cloud): what is known."""
    if primary.generation is None or state.generation is None:
        return primary.reason
    if state.generation < primary.generation:
        return (
            f"{primary.reason}; the replica is in generation {state.generation}, the primary in "
            f"{primary.generation}: behind by at least the rest of a generation"
        )
    if state.generation == primary.generation:
        return f"{primary.reason} (both in generation {primary.generation})"
    return (
        f"n/a: the replica is in generation {state.generation}, past the primary's {primary.generation}: "
        "reset it"
    )


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


def foreign_file(path: Path, database: str, url: str) -> str:
    """Why the replica file at ``path`` will not sync from ``database`` at ``url`` (setup just pointed config at
    it): the file came from another database; "" when it did not, or nothing says so."""
    found = status(path).origin
    if found is None or not mismatch(found, Origin(url, database)):
        return ""
    return (
        f"the replica file {path} holds {found.describe(ids=False)}: its syncs are refused until "
        f"`tursotui replica reset` deletes it and syncs {database}"
    )


def config_stamp(settings: Settings) -> tuple[float | None, float | None]:
    """When config.toml and .env last changed (None: absent), to notice a wizard repointing them."""

    def mtime(path: Path) -> float | None:
        try:
            return path.stat().st_mtime
        except OSError:
            return None

    return mtime(settings.config_path), mtime(settings.env_path)


def reread(settings: Settings) -> Settings | None:
    """The settings as config.toml and .env say now (resolved again from the same files, the environment still
    first); None when they cannot be read: the caller keeps what it had (never a half-read target)."""
    from tursotui.config import CliOptions, ConfigError, resolve

    options = CliOptions(
        config=str(settings.config_path),
        env_file=str(settings.env_path),
        data_dir=str(settings.data_dir),
        target=settings.target,
        read_only=settings.read_only or None,
    )
    try:
        return resolve(options)
    except (ConfigError, OSError):
        return None


def first_delay(target: ReplicaTarget, state: ReplicaStatus, now: datetime) -> float:
    """Seconds until the first auto-sync: at once if never synced, else when the interval is up."""
    if state.last_sync is None:
        return 0.0
    age = now.timestamp() - state.last_sync
    return min(float(target.interval), max(0.0, target.interval - age))

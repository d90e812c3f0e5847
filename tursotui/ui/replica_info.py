"""What the Replica pane shows about ``[turso.local_replica]`` (no Textual here): the target from the settings,
why it cannot sync, the primary's frame number (local Turso only) and the lines of the status block.

Nothing here reads the remote database: the primary's frame number comes from the local Turso's
``local-replication`` endpoint (sqld's admin stats), so watching the pane spends no rows read.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from rich.text import Text

from tursotui.libsql.replica import ReplicaStatus
from tursotui.platform import PlatformClient, PlatformError
from tursotui.support import humanize as fmt
from tursotui.support.humanize import home_path
from tursotui.support.redact import mask

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
LABEL = 11
"""Width of the status block's labels (``Last sync`` and a space)."""
CLOUD_LAG = (
    "n/a on Turso Cloud: no API gives the primary's frame number (a query would spend rows read)"
)


@dataclass(frozen=True)
class ReplicaTarget:
    """What the pane syncs, from the resolved settings."""

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


def utc_full(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def lines(
    target: ReplicaTarget,
    state: ReplicaStatus,
    now: datetime,
    primary: PrimaryFrame | None,
    next_sync: float | None,
) -> list[tuple[str, str]]:
    """(label, text) rows of the status block. ``next_sync``: epoch seconds of the next auto-sync."""
    stamp = now.timestamp()
    if not target.enabled:
        auto = HOW_TO_ENABLE
    elif target.cannot_sync:
        auto = f"on, every {target.interval} s, but it cannot run (see Sync)"
    else:
        due = "" if next_sync is None else f" · next in {max(0, round(next_sync - stamp))} s"
        auto = f"on, every {target.interval} s{due}"
    size = fmt.size(state.size_bytes) if state.exists else "not created yet (s creates it)"
    rows = [
        ("Auto-sync", auto),
        ("File", f"{home_path(target.path)} · {size}"),
        ("Remote", f"{target.url or 'not set'} · token {mask(target.token)}"),
    ]
    if target.cannot_sync:
        rows.append(("Sync", f"cannot sync: {target.cannot_sync}"))
    if state.url and target.url and state.url != target.url:
        rows.append(("Warning", f"the file was synced from {state.url}: r resets it"))
    if state.last_sync is None:
        rows += [("Last sync", "never"), ("Frame", "none yet"), ("Lag", "n/a: not synced yet")]
        return rows
    took = f" · took {state.last_sync_ms:g} ms" if state.last_sync_ms is not None else ""
    frame = "unknown (no libsql index file)" if state.frame_no is None else str(state.frame_no)
    if state.frames is not None:
        frame += (
            f" · {state.frames:,} frame{'s' if state.frames != 1 else ''} pulled by the last sync"
        )
    rows += [
        ("Last sync", f"{utc_full(state.last_sync)} · {ago(stamp - state.last_sync)}{took}"),
        ("Frame", frame),
        ("Lag", ago(stamp - state.last_sync, " since the last sync")),
        ("Behind", behind(target, state, primary)),
    ]
    return rows


def behind(target: ReplicaTarget, state: ReplicaStatus, primary: PrimaryFrame | None) -> str:
    """How many frames the replica is behind the primary, or why that is not known."""
    if state.url and state.url != target.url:
        return "n/a: the file came from another URL"
    if primary is None:
        return "asking the local Turso…"
    if primary.index is None:
        return primary.reason
    if state.frame_no is None:
        return f"unknown (the primary is at frame {primary.index})"
    gap = max(0, primary.index - state.frame_no)
    return f"{gap:,} frame{'s' if gap != 1 else ''} behind the primary (at frame {primary.index})"


def block(rows: list[tuple[str, str]], width: int) -> Text:
    """The rows as text ``width`` columns wide: bold labels, long values wrapped under the value column."""
    text = Text()
    room = max(20, width - LABEL)
    for i, (label, value) in enumerate(rows):
        if i:
            text.append("\n")
        text.append(f"{label:<{LABEL}}", style="bold")
        wrapped = textwrap.wrap(value, room, break_on_hyphens=False) or [""]
        text.append(("\n" + " " * LABEL).join(wrapped))
    return text


def first_delay(target: ReplicaTarget, state: ReplicaStatus, now: datetime) -> float:
    """Seconds until the first auto-sync: at once if never synced, else when the interval is up."""
    if state.last_sync is None:
        return 0.0
    age = now.timestamp() - state.last_sync
    return min(float(target.interval), max(0.0, target.interval - age))

"""The Replica tab's status block as text: the rows (label, value) and their layout. The numbers (lag, frames
behind, why a sync cannot run) come from :mod:`tursotui.ops.replica`, as ``tursotui replica status``'s do."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from rich.text import Text

from tursotui.libsql.replica import LEGACY, ReplicaStatus
from tursotui.libsql.replica_errors import PROTOCOL
from tursotui.ops.replica import (
    HOW_TO_ENABLE,
    OTHER_URL,
    PrimaryFrame,
    ReplicaTarget,
    ago,
    behind_text,
    lag,
    other_database,
    since_text,
)
from tursotui.support import humanize as fmt
from tursotui.support.humanize import home_path
from tursotui.support.redact import mask

LABEL = 11
"""Width of the status block's labels (``Last sync`` and a space)."""


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
        ("Protocol", PROTOCOL),
    ]
    if target.cannot_sync:
        rows.append(("Sync", f"cannot sync: {target.cannot_sync}"))
    other = bool(other_database(target, state)) and state.origin is not None
    if other and state.origin is not None:
        rows.append(
            (
                "Refused",
                f"the file holds {state.origin.describe(ids=False)}, not "
                f"{target.database or target.url}: s refuses to sync it; r resets it, then syncs "
                f"{target.database or 'the configured database'}",
            )
        )
    found = lag(target, state, primary, now)
    if state.last_sync is None:
        rows += [("Last sync", "never"), ("Frame", "none yet"), ("Lag", since_text(found))]
        return rows
    took = f" · took {state.last_sync_ms:g} ms" if state.last_sync_ms is not None else ""
    if state.legacy:
        frame = f"none: the file was {LEGACY}"
    elif state.frame_no is None:
        frame = "unknown: libsql's -info position file is missing or unreadable (r resets it)"
    else:
        frame = f"{state.frame_no} of sync generation {state.generation}"
    if state.frames is not None:
        frame += (
            f" · {state.frames:,} frame{'s' if state.frames != 1 else ''} pulled by the last sync"
        )
    rows += [
        ("Last sync", f"{utc_full(state.last_sync)} · {ago(stamp - state.last_sync)}{took}"),
        ("Frame", frame),
        ("Lag", since_text(found)),
        ("Behind", f"{OTHER_URL} (see Refused)" if other else behind_text(found)),
    ]
    return rows


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

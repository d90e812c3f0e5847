"""The embedded replica of ``[turso.local_replica]``: synced at all, how long ago and how many frames behind
(:mod:`tursotui.ops.replica`, what ``tursotui replica status`` and the Replica tab show), and its protocol
(sync v2; a file of the legacy gRPC replication is refused by Turso Cloud and must be reset)."""

from __future__ import annotations

from datetime import datetime

from tursotui.libsql import replica as files
from tursotui.libsql.replica import LEGACY
from tursotui.ops.doctor.model import Check, fail, ok, skip, warn
from tursotui.ops.replica import (
    OTHER_URL,
    ReplicaTarget,
    behind_text,
    lag,
    primary_frame,
    since_text,
)

SYNC = "`tursotui replica sync` (console: 6, s)"
ENABLE = "set enabled = true under [turso.local_replica] (or `tursotui setup --local-replica`)"
RESET = "`tursotui replica reset --yes` (console: 6, r)"


async def check(target: ReplicaTarget | None, now: datetime, *, local: bool) -> Check:
    if target is None:
        return skip("replica", "no settings: the replica's path is unknown")
    state = files.status(target.path)
    if not target.enabled and not state.exists:
        return skip(
            "replica", "off ([turso.local_replica] enabled = false), no replica file", ENABLE
        )
    if state.legacy:
        return fail(
            "replica", f"{target.path} was {LEGACY}: Turso Cloud refuses that protocol", RESET
        )
    if state.last_sync is None:
        why = target.cannot_sync
        return fail(
            "replica", f"{target.path} was never synced" + (f" ({why})" if why else ""), SYNC
        )
    primary = await primary_frame(target, local=local)
    found = lag(target, state, primary, now)
    data = {"path": str(target.path), "protocol": "sync v2", **found.to_json()}
    text = f"sync v2, {since_text(found)}; {behind_text(found)}"
    if found.reason == OTHER_URL:
        return fail("replica", f"{target.path}: {OTHER_URL} ({state.url})", RESET, **data)
    if found.reason.endswith("reset it"):
        return fail("replica", found.reason, RESET, **data)
    late = found.since_sync is not None and found.since_sync > 2 * max(target.interval, 1)
    if target.enabled and late:
        return warn("replica", f"{text} (auto-sync every {target.interval} s)", SYNC, **data)
    return ok("replica", text, **data)

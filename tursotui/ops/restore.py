"""Point-in-time restore: always into a NEW database (Turso has no in-place restore).

Timestamps are RFC 3339 with a timezone (``2026-11-01T10:30:00Z``) or relative (``2h ago``,
``1d12h ago``, ``now``). The server checks the recovery window (24 h on the free plan).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.platform import Database, PlatformClient, Seed
from tursotui.platform.models import format_timestamp

_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_WORDS = {
    **{u: "w" for u in ("w", "wk", "wks", "week", "weeks")},
    **{u: "d" for u in ("d", "day", "days")},
    **{u: "h" for u in ("h", "hr", "hrs", "hour", "hours")},
    **{u: "m" for u in ("m", "min", "mins", "minute", "minutes")},
    **{u: "s" for u in ("s", "sec", "secs", "second", "seconds")},
}
_RELATIVE = re.compile(r"^((?:\d+\s*[a-z]+[\s,]*)+)ago$")
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_HAS_ZONE = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")


def parse_restore_time(text: str, now: datetime | None = None) -> datetime:
    """An aware UTC datetime for ``text``; :class:`InputError` says what is wrong."""
    moment = now or datetime.now(UTC)
    value = " ".join((text or "").strip().lower().split())
    if not value:
        raise InputError("no timestamp given: use RFC 3339 (2026-11-01T10:30:00Z) or e.g. '2h ago'")
    if value == "now":
        return moment
    relative = _RELATIVE.match(value)
    if relative:
        parts = _PART.findall(relative[1])
        unknown = [u for _, u in parts if u not in _UNIT_WORDS]
        if unknown:
            raise InputError(
                f"invalid timestamp {text!r}: unknown unit {unknown[0]!r} (use w, d, h, m, s, "
                "or weeks, days, hours, minutes, seconds)"
            )
        seconds = sum(int(n) * _SECONDS[_UNIT_WORDS[u]] for n, u in parts)
        if seconds <= 0:
            raise InputError(f"invalid timestamp {text!r}: the duration must be more than zero")
        return moment - timedelta(seconds=seconds)
    if "ago" in value:
        raise InputError(
            f"invalid timestamp {text!r}: a relative time is numbers with units followed by "
            "'ago' (e.g. '2h ago', '1d12h ago', '3 days ago')"
        )
    raw = text.strip()
    if not _HAS_ZONE.search(raw):
        raise InputError(
            f"timestamp {text!r} has no timezone: add Z for UTC or an offset such as +02:00"
        )
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1] in "zZ" else raw)
    except ValueError:
        raise InputError(
            f"invalid timestamp {text!r}: use RFC 3339, e.g. 2026-11-01T10:30:00Z, or e.g. '2h ago'"
        ) from None
    if "t" not in value and " " not in value:
        raise InputError(f"invalid timestamp {text!r}: give a time too, e.g. 2026-11-01T10:30:00Z")
    if parsed > moment + timedelta(seconds=1):
        raise InputError(f"timestamp {format_timestamp(parsed)} is in the future")
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class RestoreResult:
    source: str
    timestamp: datetime
    database: Database

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "timestamp": format_timestamp(self.timestamp),
            "name": self.database.name,
            "group": self.database.group,
            "url": self.database.url,
            "hostname": self.database.hostname,
        }


async def restore_database(
    platform: PlatformClient,
    source: str,
    timestamp: datetime,
    new_name: str,
    *,
    group: str | None = None,
) -> RestoreResult:
    """Create ``new_name`` from ``source`` as of ``timestamp`` (default group: the source's)."""
    check_name(source)
    check_name(new_name, "new database")
    if group is not None:
        check_name(group, "group")
    if new_name == source:
        raise InputError("the restored database needs a new name: a restore never overwrites")
    origin = await platform.get_database(source)
    chosen = group or origin.group
    if not chosen:
        raise InputError(f"database {source} has no group: give --group")
    await platform.create_database(new_name, chosen, seed=Seed.restore(source, timestamp))
    return RestoreResult(source, timestamp, await platform.get_database(new_name))

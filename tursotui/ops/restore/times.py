"""The one reader of restore times, for the CLI and the console alike.

Accepted (case and extra spaces do not matter):

- RFC 3339 with a zone: ``2026-12-05T01:59:40Z``, ``2026-12-05 03:59:40+02:00``;
- a local wall-clock time, read in the user's time zone (``TZ``, else the system's):
  ``2026-12-05 02:59:40``, ``2026-12-05T02:59``, ``02:59`` (today), ``yesterday 14:30``;
- relative: ``now``, ``10 min ago``, ``2h ago``, ``1d12h ago``, ``3 days ago``, ``an hour ago``.

Every other input raises :class:`InputError` saying what is accepted; a time that happens twice
or never in local time (the clocks changing) is refused with the offsets to add.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from tursotui.ops.errors import InputError
from tursotui.platform.models import format_timestamp

ACCEPTED = (
    "use a local time (2026-12-05 02:59:40, 02:59 for today, yesterday 14:30), "
    "RFC 3339 with a zone (2026-12-05T01:59:40Z, 2026-12-05T03:59:40+02:00) "
    "or a relative time (10 min ago, 2h ago, 1d12h ago, now)"
)
MAX_AGO = timedelta(days=36_500)
"""Relative times further back than this are refused (no plan keeps a century)."""

_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_WORDS = {
    **{u: "w" for u in ("w", "wk", "wks", "week", "weeks")},
    **{u: "d" for u in ("d", "day", "days")},
    **{u: "h" for u in ("h", "hr", "hrs", "hour", "hours")},
    **{u: "m" for u in ("m", "min", "mins", "minute", "minutes")},
    **{u: "s" for u in ("s", "sec", "secs", "second", "seconds")},
}
_RELATIVE = re.compile(r"^((?:(?:\d+|an?)\s*[a-z]+[\s,]*)+)ago$")
_PART = re.compile(r"(\d+|an?)\s*([a-z]+)")
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
_ZONE = r"(z|utc|[+-]\d{2}(?::?\d{2})?)"
_DATE_TIME = re.compile(rf"^(\d{{4}})-(\d{{2}})-(\d{{2}})(?:t|\s)\s*{_TIME}\s*{_ZONE}?$")
_DAY_TIME = re.compile(rf"^(today|yesterday)?\s*{_TIME}\s*{_ZONE}?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_WORDS = ("today", "yesterday", "tomorrow")

Kind = Literal["now", "relative", "zoned", "local", "point"]


@dataclass(frozen=True)
class RestoreTime:
    """A restore time: the moment (aware, UTC) and how it was given, to show it back."""

    moment: datetime
    text: str
    kind: Kind
    zone: str = ""
    """For a local time: the zone it was read in (``CET +01:00``)."""

    def describe(self) -> str:
        """``02:59:40 local (CET +01:00) = 01:59:40 UTC``, with the date; ``2h ago = … UTC``."""
        utc = f"{self.moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
        if self.kind == "local":
            wall = self.moment.astimezone()
            return f"{wall:%Y-%m-%d %H:%M:%S} local ({self.zone}) = {utc}"
        shown = self.text if self.kind in ("zoned", "point") else self.text.lower()
        return f"{shown} = {utc}{_also_local(self.moment)}"

    @property
    def rfc3339(self) -> str:
        return format_timestamp(self.moment)


def _also_local(moment: datetime) -> str:
    wall = moment.astimezone()
    if wall.utcoffset() == timedelta(0):
        return ""
    return f" ({wall:%H:%M:%S} local, {_zone_label(wall)})"


def _zone_label(wall: datetime) -> str:
    offset = wall.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    name = wall.tzname() or ""
    return f"{name} {offset}" if name and not name.startswith(("+", "-")) else offset


def read_restore_time(text: str, now: datetime | None = None) -> RestoreTime:
    """``text`` as a :class:`RestoreTime`; :class:`InputError` says what is wrong and what is accepted."""
    moment_now = (now or datetime.now(UTC)).astimezone(UTC)
    raw = " ".join((text or "").split())
    value = raw.lower()
    if not value:
        raise InputError(f"no restore time given: {ACCEPTED}")
    try:
        found = _read(raw, value, moment_now)
    except InputError:
        raise
    except (OverflowError, OSError, ValueError):  # years 1 and 9999 shifted out of range
        raise InputError(f"restore time {raw!r} is out of range: {ACCEPTED}") from None
    if found.moment > moment_now + timedelta(seconds=1):
        short = _DAY_TIME.match(value)
        hint = f"; for yesterday's, type 'yesterday {raw}'" if short and not short[1] else ""
        raise InputError(
            f"restore time {found.describe()} is in the future "
            f"(now is {moment_now:%Y-%m-%d %H:%M:%S} UTC){hint}"
        )
    return found


def parse_restore_time(text: str, now: datetime | None = None) -> datetime:
    """The moment of :func:`read_restore_time` (aware, UTC)."""
    return read_restore_time(text, now).moment


def _read(raw: str, value: str, now: datetime) -> RestoreTime:
    if value == "now":
        return RestoreTime(now, raw, "now")
    relative = _RELATIVE.match(value)
    if relative:
        return RestoreTime(now - _duration(raw, relative[1]), raw, "relative")
    if "ago" in value.split() or value.endswith("ago"):
        raise InputError(
            f"invalid restore time {raw!r}: a relative time is numbers with units followed by "
            "'ago' (10 min ago, 2h ago, 1d12h ago, 3 days ago)"
        )
    if value in _DAY_WORDS:
        raise InputError(
            f"restore time {raw!r} needs a time of day: e.g. 'yesterday 14:30' (local time) "
            f"or '1d ago'; {ACCEPTED}"
        )
    if value.startswith("tomorrow"):
        raise InputError(f"restore time {raw!r} is in the future: {ACCEPTED}")
    if _DATE_ONLY.match(value):
        raise InputError(f"restore time {raw!r} needs a time of day too, e.g. {raw} 14:30")
    full = _DATE_TIME.match(value)
    if full:
        year, month, day = int(full[1]), int(full[2]), int(full[3])
        return _at(raw, lambda _zone: _date(raw, year, month, day), full.groups()[3:], now)
    short = _DAY_TIME.match(value)
    if short:
        back = timedelta(days=1 if short[1] == "yesterday" else 0)
        return _at(raw, lambda zone: now.astimezone(zone).date() - back, short.groups()[1:], now)
    raise InputError(f"invalid restore time {raw!r}: {ACCEPTED}")


def _duration(raw: str, parts_text: str) -> timedelta:
    parts = _PART.findall(parts_text)
    unknown = [u for _, u in parts if u not in _UNIT_WORDS]
    if unknown:
        raise InputError(
            f"invalid restore time {raw!r}: unknown unit {unknown[0]!r} (use w, d, h, min, s, "
            "or weeks, days, hours, minutes, seconds)"
        )
    seconds = sum((1 if n in ("a", "an") else int(n)) * _SECONDS[_UNIT_WORDS[u]] for n, u in parts)
    if seconds <= 0:
        raise InputError(f"invalid restore time {raw!r}: the duration must be more than zero")
    if seconds > MAX_AGO.total_seconds():
        raise InputError(f"restore time {raw!r} is too far back: no plan keeps 100 years")
    return timedelta(seconds=seconds)


def _date(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InputError(f"invalid restore time {raw!r}: {exc}") from None


def _at(
    raw: str,
    day_of: Callable[[tzinfo], date],
    clock: tuple[str | None, ...],
    now: datetime,
) -> RestoreTime:
    """``clock`` (hour, minute, second, fraction, zone) on the day ``day_of`` gives in that zone."""
    hour, minute, second, fraction, zone_text = clock
    zone = _zone(raw, zone_text) if zone_text else None
    day = day_of(zone or _local_zone(now))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        wall = time(int(hour or 0), int(minute or 0), int(second or 0), micro)
    except ValueError as exc:
        raise InputError(f"invalid restore time {raw!r}: {exc}") from None
    naive = datetime.combine(day, wall)
    if zone is not None:
        return RestoreTime(naive.replace(tzinfo=zone).astimezone(UTC), raw, "zoned")
    return _local(raw, naive)


def _zone(raw: str, text: str) -> timezone:
    if text in ("z", "utc"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise InputError(f"invalid restore time {raw!r}: bad UTC offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _local_zone(now: datetime) -> timezone:
    offset = now.astimezone().utcoffset() or timedelta(0)
    return timezone(offset)


def _local(raw: str, naive: datetime) -> RestoreTime:
    """A wall-clock time in the local zone; refused when it happens twice or never (clock changes)."""
    found: dict[datetime, datetime] = {}
    for fold in (0, 1):
        aware = naive.replace(fold=fold).astimezone()
        if aware.replace(tzinfo=None) == naive:
            found[aware.astimezone(UTC)] = aware
    if not found:
        raise InputError(
            f"restore time {raw!r} does not exist in local time (the clocks jumped forward): "
            "give it in UTC (…Z) or with an offset (…+01:00)"
        )
    if len(found) > 1:
        offsets = " or ".join(_zone_label(a).split()[-1] for a in found.values())
        raise InputError(
            f"restore time {raw!r} happens twice in local time (the clocks went back): "
            f"add the offset, {offsets}"
        )
    [(moment, aware)] = found.items()
    return RestoreTime(moment, raw, "local", _zone_label(aware))

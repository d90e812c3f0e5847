"""Human-readable numbers, sizes and times for the console (no Textual here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

_COUNT_UNITS = ((1_000_000_000_000, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K"))
_BYTE_UNITS = ((1_000_000_000_000, "TB"), (1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB"))


def _short(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def count(n: int | None) -> str:
    """``412345678`` -> ``412.3M``; ``500000000`` -> ``500M`` (Turso's own units for rows)."""
    if n is None:
        return "–"
    for size, unit in _COUNT_UNITS:
        if abs(n) >= size:
            return f"{_short(n / size)}{unit}"
    return str(n)


def size(n: int | None) -> str:
    """Bytes in decimal units, as Turso states its quotas (``5 GB``)."""
    if n is None:
        return "–"
    for unit_size, unit in _BYTE_UNITS:
        if abs(n) >= unit_size:
            return f"{_short(n / unit_size)} {unit}"
    return f"{n} B"


def percent(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f}%" if value < 1000 else f"{value:.0f}%"


def utc_time(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC")


def utc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %d %b %Y")


def utc_stamp(moment: datetime) -> str:
    """A compact timestamp for file names: ``20260615T120000Z``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def seconds(value: float) -> str:
    return f"{value:g} s"


def latency(ms: float | None) -> str:
    if ms is None:
        return "unreachable"
    return f"{ms:.0f} ms" if ms >= 1 else "<1 ms"


def flag(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    if value is None:
        return "?"
    return yes if value else no


def human_age(age: timedelta) -> str:
    """How old something is: ``45s``, ``12m``, ``5h 3m``, ``3d 4h``."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def home_path(path: Path) -> str:
    """``path`` with the home directory shown as ``~`` (shorter on an 80-column screen)."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):
        return str(path)

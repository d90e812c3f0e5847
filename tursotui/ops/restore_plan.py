"""The restore wizard's checks, without Textual: the plan's window, times typed in local time or UTC or
relative, and new database names. Every check says what is wrong and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.restore import parse_restore_time
from tursotui.platform.models import format_timestamp

GAP_WARNING = "Turso Cloud: data written up to ~15 s before the timestamp can be missing from the restored database."
RETENTION_BY_PLAN = {
    "free": timedelta(hours=24),
    "starter": timedelta(hours=24),
    "hobby": timedelta(hours=24),
    "developer": timedelta(days=10),
    "scaler": timedelta(days=30),
    "pro": timedelta(days=90),
}


def retention_for_plan(plan: str) -> timedelta:
    """The plan's point-in-time window (unknown plans: the Free plan's 24 h)."""
    return RETENTION_BY_PLAN.get(plan.strip().lower(), timedelta(hours=24))


def describe_window(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} days"


def parse_wizard_time(text: str, now: datetime) -> datetime:
    """RFC 3339 / UTC (``…Z``), a local time without a zone (``2026-06-15 10:30``), or ``2h ago``."""
    raw = text.strip()
    try:
        return parse_restore_time(raw, now)
    except InputError as exc:
        if "has no timezone" not in str(exc):
            raise
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"invalid time {raw!r}: use 2026-06-15 10:30 (local), 2026-06-15T08:30:00Z (UTC) or '2h ago'"
        ) from None
    moment = naive.astimezone(UTC)  # a naive time is this machine's local time
    if moment > now + timedelta(seconds=1):
        raise InputError(f"{format_timestamp(moment)} is in the future")
    return moment


def show_time(moment: datetime) -> str:
    """Both ways and as RFC 3339 UTC."""
    local = moment.astimezone()
    return (
        f"local {local:%Y-%m-%d %H:%M:%S %Z} · UTC {moment:%Y-%m-%d %H:%M:%S} · "
        f"RFC3339 {format_timestamp(moment)}"
    )


@dataclass(frozen=True)
class Window:
    """The moments a database can be restored to."""

    retention: timedelta
    source: str
    """Where the retention comes from (the plan, or the local Turso's retention_days)."""
    oldest: datetime | None = None
    """The database's age bound: its first recovery point or when it was branched (None: unknown)."""

    def check(self, moment: datetime, now: datetime) -> None:
        earliest = now - self.retention
        if moment < earliest:
            raise InputError(
                f"{format_timestamp(moment)} is older than the {describe_window(self.retention)} window "
                f"({self.source}): the earliest is {format_timestamp(earliest)}"
            )
        if self.oldest is not None and moment < self.oldest:
            raise InputError(
                f"{format_timestamp(moment)} is before the database existed "
                f"(its oldest point is {format_timestamp(self.oldest)})"
            )
        if moment > now + timedelta(seconds=1):
            raise InputError(f"{format_timestamp(moment)} is in the future")


def check_new_name(name: str, source: str, existing: set[str]) -> str:
    """A valid, free name for the restored database."""
    value = name.strip()
    check_name(value, "new database")
    if value == source:
        raise InputError("the restored database needs a new name: a restore never overwrites")
    if value in existing:
        raise InputError(f"a database named {value} already exists: choose a free name")
    return value


def default_name(source: str, moment: datetime) -> str:
    return f"{source}-restore-{moment:%Y%m%d-%H%M}"[:64]


@dataclass(frozen=True)
class Verification:
    schema_equal: bool
    schema_differences: tuple[str, ...]
    counts: tuple[tuple[str, int | None, int | None], ...]
    """(table, rows in the source now, rows in the restored database)."""


def compare(
    source_schema: list[tuple[str, str, str]],
    restored_schema: list[tuple[str, str, str]],
    source_counts: dict[str, int],
    restored_counts: dict[str, int],
) -> Verification:
    a = {(t, n): s for t, n, s in source_schema}
    b = {(t, n): s for t, n, s in restored_schema}
    diffs = [f"only in source: {t} {n}" for t, n in sorted(a.keys() - b.keys())]
    diffs += [f"only in restored: {t} {n}" for t, n in sorted(b.keys() - a.keys())]
    diffs += [f"differs: {t} {n}" for t, n in sorted(a.keys() & b.keys()) if a[(t, n)] != b[(t, n)]]
    tables = sorted(set(source_counts) | set(restored_counts))
    counts = tuple((t, source_counts.get(t), restored_counts.get(t)) for t in tables)
    return Verification(not diffs, tuple(diffs), counts)

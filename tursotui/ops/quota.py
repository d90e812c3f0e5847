"""Quotas, billing periods and projections for the Usage pane (pure functions, no Textual here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from tursotui.platform import Plan, PlanQuotas, Subscription
from tursotui.support import humanize as fmt

WARNING_AT = 75.0
ERROR_AT = 90.0
FULL_AT = 100.0
MIN_HISTORY_SPAN = timedelta(minutes=5)


@dataclass(frozen=True)
class PlanInfo:
    """What ``/plans`` and ``/subscription`` answered (``None``: refused, ``refused`` says why), kept between
    refreshes (plans rarely change), and the plan they name as ``ops/plan.py`` resolved it (the one
    implementation, shared with ``tursotui plan show``): never the Free plan's limits in place of an unknown plan."""

    name: str
    """The plan's base name (``scaler``), or "plan unknown"."""
    quotas: PlanQuotas
    """The plan's quotas; every one None (nothing to hold against) when they are unknown (``quotas_known``)."""
    quotas_known: bool
    plans: tuple[Plan, ...] | None = None
    subscription: Subscription | None = None
    refused: tuple[tuple[str, str], ...] = ()


def usage_percent(used: int, quota: int | None) -> float | None:
    """Share of the quota used; ``None`` when the quota is unlimited."""
    if not quota:
        return None
    return used * 100.0 / quota


def level(percent: float | None) -> str:
    """The CSS class for a share of a quota: '' below 75 %, then -warning, -error (90 %), -full (100 %)."""
    if percent is None or percent < WARNING_AT:
        return ""
    if percent >= FULL_AT:
        return "-full"
    if percent >= ERROR_AT:
        return "-error"
    return "-warning"


LEVEL_CLASSES = ("-warning", "-error", "-full")


def period_start(now: datetime) -> datetime:
    utc = now.astimezone(UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_reset(now: datetime) -> datetime:
    """Quotas reset on the 1st of the month, 00:00 UTC."""
    start = period_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def reset_text(now: datetime) -> str:
    reset = next_reset(now)
    left = reset - now.astimezone(UTC)
    days, rest = divmod(int(left.total_seconds()), 86400)
    hours = rest // 3600
    return f"resets {fmt.utc_date(reset)} 00:00 UTC (in {days} d {hours} h)"


def rate_per_second(points: Sequence[tuple[datetime, int]]) -> float | None:
    """Least-squares slope of a counter over time (units per second); ``None`` without enough spread."""
    if len(points) < 2:
        return None
    origin = points[0][0]
    xs = [(t - origin).total_seconds() for t, _ in points]
    ys = [float(v) for _, v in points]
    if max(xs) - min(xs) < MIN_HISTORY_SPAN.total_seconds():
        return None
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var <= 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var


@dataclass(frozen=True)
class Projection:
    runs_out: datetime | None
    text: str


def project(
    history: Sequence[tuple[datetime, int]],
    now: datetime,
    used: int,
    quota: int | None,
    *,
    what: str = "rows-read",
    overages: bool | None = None,
) -> Projection:
    """When the quota runs out at the current rate: linear over this period's history (plus the current value),
    else the period's average so far. "not within this period" if that is after the reset. With overages on, a
    quota passed is billed, not used up (nothing blocks)."""
    label = f"At this rate the {what} quota runs out"
    if not quota:
        return Projection(None, f"{label}: never (unlimited on this plan)")
    reset = next_reset(now)
    if used >= quota and overages:
        return Projection(None, f"The {what} quota is passed: overages: billed past the quota")
    if used >= quota:
        return Projection(now, f"The {what} quota is used up; it resets {fmt.utc_date(reset)}")
    start = period_start(now)
    points = [(t, v) for t, v in history if start <= t <= now]
    points.append((now, used))
    points.sort(key=lambda p: p[0])
    rate = rate_per_second(points)
    if rate is None:
        elapsed = (now - start).total_seconds()
        rate = used / elapsed if elapsed > 0 else None
    if not rate or rate <= 0:
        return Projection(None, f"{label}: not within this period")
    seconds_left = (quota - used) / rate
    if seconds_left >= (reset - now).total_seconds():  # also keeps a tiny rate from overflowing
        return Projection(None, f"{label}: not within this period")
    runs_out = now + timedelta(seconds=seconds_left)
    when = runs_out.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")
    return Projection(runs_out, f"{label} on {when}")


def hourly_rates(points: Sequence[tuple[datetime, int]]) -> list[float]:
    """Per-hour increase between consecutive samples (resets and gaps of zero time are skipped)."""
    rates: list[float] = []
    for (t0, v0), (t1, v1) in pairwise(points):
        seconds = (t1 - t0).total_seconds()
        if seconds <= 0 or v1 < v0:
            continue
        rates.append((v1 - v0) * 3600.0 / seconds)
    return rates

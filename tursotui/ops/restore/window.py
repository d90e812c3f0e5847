"""The moments a database can be restored to: the plan's window (Turso Cloud) or the local Turso's
``retention_days`` and recovery points, and the database's age. Every check says what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tursotui.ops.errors import InputError
from tursotui.platform import Database, PlatformClient, PlatformError
from tursotui.platform.models import format_timestamp
from tursotui.platform.models_local import RecoveryPoint

RETENTION_BY_PLAN = {
    "free": timedelta(hours=24),
    "starter": timedelta(hours=24),
    "hobby": timedelta(hours=24),
    "developer": timedelta(days=10),
    "scaler": timedelta(days=30),
    "pro": timedelta(days=90),
}
"""Point-in-time windows by plan (docs: Free 24 h, Developer 10 days, Scaler 30 days, Pro 90 days)."""
INITIAL_REASONS = ("initial", "demo org created", "seeded by upload", "seeded from dump")
"""Reasons of the recovery point the local Turso takes when a database is created."""


def base_plan(plan: str) -> str:
    """``Scaler_overages`` -> ``scaler``: the plan a subscription with overages is on."""
    name = plan.strip().lower()
    return name.removesuffix("_overages")


def retention_for_plan(plan: str) -> timedelta | None:
    """The plan's point-in-time window; ``None`` for a plan not known here (the server judges)."""
    return RETENTION_BY_PLAN.get(base_plan(plan))


def describe_window(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} days"


def utc(moment: datetime) -> str:
    """``2026-12-05 01:59:40 UTC``: how restore times are shown back."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True)
class Window:
    """The moments a database can be restored to."""

    retention: timedelta | None
    """``None``: the plan is not known here, so Turso Cloud judges the time."""
    source: str
    """Where the retention comes from (``plan scaler``, ``local Turso retention_days 30``)."""
    oldest: datetime | None = None
    """The database's age bound: its first recovery point or when it was branched (None: unknown)."""
    oldest_is_creation: bool = True
    """Whether ``oldest`` is when the database came to be (else: the oldest point kept)."""

    def describe(self) -> str:
        """``30 days (plan scaler)``; ``unknown (plan unknown: Turso Cloud judges the time)``."""
        text = f"{self.length()} ({self.source})"
        return text + (": Turso Cloud judges the time" if self.retention is None else "")

    def length(self) -> str:
        """``30 days``, or ``unknown`` when the plan is not known here."""
        return "unknown" if self.retention is None else describe_window(self.retention)

    def earliest(self, now: datetime) -> datetime | None:
        bounds = [b for b in (now - self.retention if self.retention else None, self.oldest) if b]
        return max(bounds) if bounds else None

    def check(self, moment: datetime, now: datetime) -> None:
        """:class:`InputError` when ``moment`` is in the future, outside the window or before the
        database existed."""
        shown = utc(moment)
        if moment > now + timedelta(seconds=1):
            raise InputError(f"{shown} is in the future (now is {utc(now)})")
        if self.retention is not None and moment < now - self.retention:
            raise InputError(
                f"{shown} is older than the {describe_window(self.retention)} window "
                f"({self.source}): the earliest is {utc(now - self.retention)}"
            )
        if self.oldest is not None and moment < self.oldest:
            if self.oldest_is_creation:
                raise InputError(
                    f"{shown} is before the database existed (created {utc(self.oldest)})"
                )
            raise InputError(
                f"{shown} is before the oldest recovery point kept ({utc(self.oldest)}): "
                "older points passed the retention"
            )

    def to_json(self, now: datetime) -> dict[str, Any]:
        earliest = self.earliest(now)
        return {
            "retention_days": self.retention / timedelta(days=1) if self.retention else None,
            "from": self.source,
            "earliest": format_timestamp(earliest) if earliest else None,
            "oldest": format_timestamp(self.oldest) if self.oldest else None,
        }


async def plan_name(platform: PlatformClient) -> str | None:
    """The organization's plan: the subscription's, else ``organization.plan_id``; None if unknown."""
    try:
        subscription = await platform.get_subscription()
        if subscription.plan:
            return subscription.plan
    except PlatformError:
        pass  # members without billing rights get a 403: the organization still names its plan
    try:
        organization = await platform.get_organization()
    except PlatformError:
        return None
    return organization.plan_id or None


async def restore_window(
    platform: PlatformClient, database: Database, *, local: bool
) -> tuple[Window, tuple[RecoveryPoint, ...]]:
    """The window of ``database`` and, on the local Turso, its recovery points (oldest first).

    Turso Cloud lists no points: its window is the plan's (an unknown plan: the server judges)."""
    branched = database.parent.branched if database.parent else None
    if local:
        listed = await platform.local_recovery_points(database.name)
        first = listed.points[0] if listed.points else None
        window = Window(
            timedelta(days=listed.retention_days),
            f"local Turso retention_days {listed.retention_days:g}",
            first.taken_at if first else branched,
            first is None or first.reason in INITIAL_REASONS,
        )
        return window, listed.points
    plan = await plan_name(platform)
    if plan is None:
        return Window(None, "plan unknown", branched), ()
    return Window(retention_for_plan(plan), f"plan {base_plan(plan)}", branched), ()


async def gather_window(
    platform: PlatformClient, source: str, *, local: bool
) -> tuple[Database, Window, tuple[RecoveryPoint, ...]]:
    """The source database, its window and its points, in one go."""
    database = await platform.get_database(source)
    window, points = await restore_window(platform, database, local=local)
    return database, window, points

"""Planning a restore, for the CLI and the console alike: check the time against the window and the
database's age, and on the local Turso pick and name the recovery point it will use (the latest at or
before the time), saying how far before the time it was taken. Nothing is created here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.names import check_name
from tursotui.ops.restore.times import RestoreTime
from tursotui.ops.restore.window import Window, gather_window, utc
from tursotui.platform import PlatformClient
from tursotui.platform.models import format_timestamp
from tursotui.platform.models_local import RecoveryPoint

GAP_WARNING = (
    "Turso Cloud: data written up to ~15 s before the timestamp can be missing from the restored "
    "database."
)
CLOUD_EXACT = (
    "Turso Cloud restores to this exact time (it lists no recovery points); data written up to "
    "~15 s before it can be missing."
)

LATE_MARGIN = timedelta(minutes=5)


def span(gap: timedelta) -> str:
    """``under a second``, ``64 s``, ``12 min 5 s``, ``3 h 20 min``, ``2 days 4 h``."""
    seconds = int(gap.total_seconds())
    if gap < timedelta(seconds=1):
        return "under a second"
    if seconds < 120:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes} min" + (f" {seconds} s" if seconds else "")
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} days" + (f" {hours} h" if hours else "")


def point_time(
    point: RecoveryPoint, points: tuple[RecoveryPoint, ...], window: Window, now: datetime
) -> RestoreTime | None:
    """A restore time that picks ``point``: its listed time (whole seconds, the server's rule), or a
    moment inside the window when the point is older and still the one in use then. None when no
    time in the window picks it: a newer point was taken before the window starts, or in the same
    second (the newer one wins)."""
    text = f"recovery point {point.id}"
    earliest = window.earliest(now)
    moments = [point.taken_at]
    if earliest is not None and point.taken_at < earliest:
        start = earliest.replace(microsecond=0) + timedelta(seconds=1)
        # A few minutes inside the window when nothing newer is in the way: the server's clock runs on.
        moments = [min(start + LATE_MARGIN, now), start]
    for moment in moments:
        if _latest(points, moment) == point:
            return RestoreTime(moment, text, "point")
    return None


def _latest(points: tuple[RecoveryPoint, ...], moment: datetime) -> RecoveryPoint | None:
    """The point the local Turso uses for ``moment``: the last listed (oldest first, in the server's
    order, which breaks ties within a second) taken at or before it."""
    found = None
    for p in points:
        if p.taken_at <= moment:
            found = p
    return found


@dataclass(frozen=True)
class RestorePlan:
    """What a restore will do: from which database, as of when, within which window, from which point."""

    source: str
    group: str
    when: RestoreTime
    window: Window
    now: datetime
    local: bool
    point: RecoveryPoint | None = None
    """On the local Turso: the recovery point the restore copies."""
    points: tuple[RecoveryPoint, ...] = field(default=(), repr=False)

    @property
    def moment(self) -> datetime:
        return self.when.moment

    @property
    def gap(self) -> timedelta | None:
        """How long before the time asked the point was taken (None on Turso Cloud)."""
        return self.moment - self.point.taken_at if self.point else None

    def point_line(self) -> str:
        """Which recovery point is used and what that means, or the cloud's exact-time note."""
        if not self.local or self.point is None:
            return CLOUD_EXACT
        p, gap = self.point, self.moment - self.point.taken_at
        taken = f"recovery point {p.id} taken {utc(p.taken_at)}"
        if gap <= timedelta(0):
            return f"{taken}, at the time asked: the copy is the database as it was then."
        return f"{taken}, {span(gap)} before the time asked: writes in between are not in the copy."

    def lines(self) -> list[str]:
        return [
            f"time    {self.when.describe()}",
            f"window  {self.window.describe()}",
            f"uses    {self.point_line()}",
        ]

    def to_json(self) -> dict[str, Any]:
        point = None
        if self.point is not None:
            point = {
                "id": self.point.id,
                "taken_at": format_timestamp(self.point.taken_at),
                "seconds_before": int((self.gap or timedelta(0)).total_seconds()),
                "reason": self.point.reason,
                "size_bytes": self.point.size_bytes,
            }
        return {
            "source": self.source,
            "group": self.group,
            "timestamp": format_timestamp(self.moment),
            "asked": self.when.text,
            "time": self.when.describe(),
            "target": "local" if self.local else "cloud",
            "window": self.window.to_json(self.now),
            "recovery_point": point,
            "note": self.point_line(),
        }


def choose_point(points: tuple[RecoveryPoint, ...], moment: datetime, source: str) -> RecoveryPoint:
    """The latest point taken at or before ``moment`` (the local Turso's rule, at whole seconds)."""
    if not points:
        raise InputError(f"the local Turso has no recovery points of {source} yet")
    found = _latest(points, moment)
    if found is None:
        oldest = points[0]
        raise InputError(
            f"{utc(moment)} is before the oldest recovery point of {source} "
            f"({oldest.id}, taken {utc(oldest.taken_at)})"
        )
    return found


def plan_from(
    source: str,
    group: str,
    window: Window,
    points: tuple[RecoveryPoint, ...],
    when: RestoreTime,
    now: datetime,
    *,
    local: bool,
) -> RestorePlan:
    """The plan for restoring ``source`` as of ``when`` (no I/O: the wizard checks as you type)."""
    window.check(when.moment, now)
    point = choose_point(points, when.moment, source) if local else None
    return RestorePlan(source, group, when, window, now, local, point, points)


async def plan_restore(
    platform: PlatformClient,
    source: str,
    when: RestoreTime,
    *,
    local: bool,
    now: datetime,
    group: str | None = None,
    new_name: str | None = None,
) -> RestorePlan:
    """Fetch the window (and the local points) of ``source`` and plan the restore; when ``new_name``
    is given, it must be a free name (:class:`OpsError`, exit code 1, like the server's 409).
    :class:`InputError` (exit code 2) says what is wrong with the input."""
    check_name(source, "source database")
    if new_name is not None:
        check_name(new_name, "new database")
        if new_name == source:
            raise InputError("the restored database needs a new name: a restore never overwrites")
    database, window, points = await gather_window(platform, source, local=local)
    chosen = group or database.group
    if not chosen:
        raise InputError(f"database {source} has no group: give --group")
    plan = plan_from(source, chosen, window, points, when, now, local=local)
    if new_name is not None and new_name in {d.name for d in await platform.list_databases()}:
        # Like the server's 409 (and an import into a taken name): the operation fails, exit code 1.
        raise OpsError(f"a database named {new_name} already exists: choose a free name")
    return plan


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

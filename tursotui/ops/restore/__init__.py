"""Point-in-time restore, always into a NEW database (Turso has no in-place restore), one core for the
CLI (``tursotui restore``) and the console's wizard (``R``):

- ``times``: the one reader of restore times (RFC 3339 with a zone, a local wall-clock time, relative);
- ``window``: the plan's window (Turso Cloud) or the local Turso's retention and recovery points;
- ``plan``: the checks before anything is created, and the recovery point a local restore will use;
- ``run``: the restore itself and its verification (schema and row counts of both databases).
"""

from __future__ import annotations

from tursotui.ops.restore.plan import (
    CLOUD_EXACT,
    GAP_WARNING,
    RestorePlan,
    check_new_name,
    choose_point,
    default_name,
    plan_from,
    plan_restore,
    point_time,
)
from tursotui.ops.restore.run import (
    RestoreResult,
    Verification,
    compare,
    restore_database,
    run_restore,
    used_point_note,
    verify_restore,
)
from tursotui.ops.restore.times import ACCEPTED, RestoreTime, parse_restore_time, read_restore_time
from tursotui.ops.restore.window import (
    Window,
    describe_window,
    gather_window,
    plan_name,
    restore_window,
    retention_for_plan,
    utc,
)

__all__ = [
    "ACCEPTED",
    "CLOUD_EXACT",
    "GAP_WARNING",
    "RestorePlan",
    "RestoreResult",
    "RestoreTime",
    "Verification",
    "Window",
    "check_new_name",
    "choose_point",
    "compare",
    "default_name",
    "describe_window",
    "gather_window",
    "parse_restore_time",
    "plan_from",
    "plan_name",
    "plan_restore",
    "point_time",
    "read_restore_time",
    "restore_database",
    "restore_window",
    "retention_for_plan",
    "run_restore",
    "used_point_note",
    "utc",
    "verify_restore",
]

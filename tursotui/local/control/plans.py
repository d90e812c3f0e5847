"""Turso's plans as the local Turso serves them: the 2026 plan table (``GET …/plans``), the point-in-time
recovery window per plan, and the usage helpers. Which plan the organization is on is its profile's
(:mod:`tursotui.local.control.profile`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

GB = 1_000_000_000

# The 2026 plan table (audits-2026-12/ecosystem-2026.md §5a, reconciled with turso.tech/pricing). 0 means
# unlimited, as turso-cli reads it (plan.go); the unlimited database counts are sent as null, as the spec's
# nullable `databases` allows. Locations and groups of the paid plans are not in the 2026 table: these are
# the legacy (Fly) numbers, unverified. Enterprise is a custom contract: unlimited here.
PLANS: list[dict[str, Any]] = [
    {
        "name": "starter",
        "price": "0",
        "prices": [],
        "quotas": {
            "rowsRead": 500_000_000,
            "rowsWritten": 10_000_000,
            "databases": 100,
            "locations": 3,
            "storage": 5 * GB,
            "groups": 1,
            "bytesSynced": 3 * GB,
        },
    },
    {
        "name": "developer",
        "price": "4.99",
        "prices": [],
        "quotas": {
            "rowsRead": 2_500_000_000,
            "rowsWritten": 25_000_000,
            "databases": None,
            "locations": 3,
            "storage": 9 * GB,
            "groups": 1,
            "bytesSynced": 10 * GB,
        },
    },
    {
        "name": "scaler",
        "price": "24.92",
        "prices": [],
        "quotas": {
            "rowsRead": 100_000_000_000,
            "rowsWritten": 100_000_000,
            "databases": None,
            "locations": 6,
            "storage": 24 * GB,
            "groups": 3,
            "bytesSynced": 24 * GB,
        },
    },
    {
        "name": "pro",
        "price": "416.58",
        "prices": [],
        "quotas": {
            "rowsRead": 250_000_000_000,
            "rowsWritten": 250_000_000,
            "databases": None,
            "locations": 10,
            "storage": 50 * GB,
            "groups": 10,
            "bytesSynced": 100 * GB,
        },
    },
    {
        "name": "enterprise",
        "price": "custom",
        "prices": [],
        "quotas": {
            "rowsRead": 0,
            "rowsWritten": 0,
            "databases": None,
            "locations": 0,
            "storage": 0,
            "groups": 0,
            "bytesSynced": 0,
        },
    },
]
PLAN_NAMES = ("starter", "developer", "scaler", "pro", "enterprise")
QUOTA_KEYS = (
    "rowsRead",
    "rowsWritten",
    "databases",
    "locations",
    "storage",
    "groups",
    "bytesSynced",
)
AWS_STARTER_LOCATIONS = 1
"""A new (AWS) Free organization has one location: multi-region is deprecated for new users."""

RETENTION_DAYS = {"starter": 1, "developer": 10, "scaler": 30, "pro": 90, "enterprise": 90}
"""Point-in-time recovery windows (docs: features/point-in-time-recovery). The docs give no Enterprise
number: Pro's, at least, here (unverified)."""


def plan_table(
    platform: str, overrides: Mapping[str, Mapping[str, int | None]]
) -> list[dict[str, Any]]:
    """``GET …/plans``: the plan table for ``platform``, with the data dir's test overrides over it."""
    plans = copy.deepcopy(PLANS)  # read at each call: a test may replace the module's table
    for plan in plans:
        quotas = plan["quotas"]
        if platform == "aws" and plan["name"] == "starter":
            quotas["locations"] = AWS_STARTER_LOCATIONS
        quotas.update(overrides.get(plan["name"], {}))
    return plans


def quotas_of(
    plan: str, platform: str, overrides: Mapping[str, Mapping[str, int | None]]
) -> dict[str, Any]:
    return next(p["quotas"] for p in plan_table(platform, overrides) if p["name"] == plan)


def limit(quotas: Mapping[str, Any], key: str) -> int | None:
    """A quota as a number, None when unlimited (0 or null, as turso-cli reads them)."""
    value = quotas.get(key)
    return int(value) if isinstance(value, int) and value > 0 else None


def usage_object(stats: dict[str, Any], storage_bytes: int) -> dict[str, int]:
    """A DatabaseUsageObject from sqld's namespace stats."""
    frames = int(stats.get("embedded_replica_frames_replicated") or 0)
    return {
        "rows_read": int(stats.get("rows_read_count") or 0),
        "rows_written": int(stats.get("rows_written_count") or 0),
        "storage_bytes": storage_bytes,
        "bytes_synced": frames * 4096,
    }


def add_usage(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {key: a.get(key, 0) + b.get(key, 0) for key in set(a) | set(b)}

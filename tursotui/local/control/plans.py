"""Plans and usage of the local organization, shaped like Turso's Platform API answers."""

from __future__ import annotations

from typing import Any

GB = 1_000_000_000

# Turso's plans as summarised in turso-facts.md (2026-06). 0 would mean unlimited; the
# unlimited database counts are sent as null, as the spec's nullable `databases` allows.
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
]
CURRENT_PLAN = "starter"
RETENTION_HOURS = {"starter": 24, "developer": 240, "scaler": 720, "pro": 2160}


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

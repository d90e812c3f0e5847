"""What the local Turso's own endpoints answer: replication lag per instance and the recovery points kept.

Turso Cloud exposes neither: callers show "n/a" (lag) or fall back to the plan's window (recovery points).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tursotui.platform.errors import ResponseFormatError


@dataclass(frozen=True)
class ReplicaLag:
    name: str
    type: str
    replication_index: int | None
    lag: int | None
    """Primary index minus this replica's (None: primary or unknown)."""


@dataclass(frozen=True)
class RecoveryPoint:
    id: str
    taken_at: datetime
    size_bytes: int
    reason: str


@dataclass(frozen=True)
class RecoveryPoints:
    points: tuple[RecoveryPoint, ...]
    retention_days: float


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_replication(data: Any) -> dict[str, ReplicaLag]:
    if not isinstance(data, dict) or not isinstance(data.get("instances"), list):
        raise ResponseFormatError("local-replication: expected {instances: [...]}")
    out: dict[str, ReplicaLag] = {}
    for item in data["instances"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ResponseFormatError("local-replication: an instance without a name")
        out[item["name"]] = ReplicaLag(
            item["name"],
            str(item.get("type") or ""),
            _int(item.get("replication_index")),
            _int(item.get("lag")),
        )
    return out


def parse_recovery_points(data: Any) -> RecoveryPoints:
    if not isinstance(data, dict) or not isinstance(data.get("recovery_points"), list):
        raise ResponseFormatError("local-recovery-points: expected {recovery_points: [...]}")
    points = []
    for item in data["recovery_points"]:
        try:
            taken = datetime.fromisoformat(str(item["taken_at"]).replace("Z", "+00:00"))
            points.append(
                RecoveryPoint(
                    str(item["id"]),
                    taken,
                    int(item.get("size_bytes") or 0),
                    str(item.get("reason") or ""),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ResponseFormatError(f"local-recovery-points: bad point ({exc})") from None
    retention = data.get("retention_days")
    days = float(retention) if isinstance(retention, int | float) else 1.0
    return RecoveryPoints(tuple(sorted(points, key=lambda p: p.taken_at)), days)

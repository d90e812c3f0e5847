"""``GET …/databases/{db}/usage/queries``: a database's top queries, from sqld's own statistics.

turso-cli's ``db inspect --queries`` asks this path with ``?from=<24 h ago>`` and reads a bare array of
``{query, rows_read, rows_written}`` (internal/turso/databases.go ``Stats``), the items of the spec's
``DatabaseStatsOutput`` (its ``/stats``, which the CLI calls obsolete). The spec does not document the path.

Each instance's sqld (primary and replicas) counts every statement it ran in its stats' ``queries``: count,
total milliseconds, rows read and written. The answer merges them by query text and adds, beyond turso-cli's
three fields, ``count`` and ``elapsed_ms`` (the total time, sqld's name): Turso Cloud's answer may lack them.
``from``/``to`` are checked (RFC 3339) but do not narrow the answer: sqld keeps only its current period.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.recovery import parse_timestamp
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.errors import ApiError


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def statements(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements one sqld counted: its ``queries.stats`` (with count and time), else ``top_queries``."""
    queries = stats.get("queries")
    found = queries.get("stats") if isinstance(queries, dict) else None
    if not isinstance(found, list):
        found = stats.get("top_queries")
    return [q for q in found or [] if isinstance(q, dict) and isinstance(q.get("query"), str)]


def merge(per_instance: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One entry per query text, summed over the instances; most rows first, then most run."""
    merged: dict[str, dict[str, Any]] = {}
    for found in per_instance:
        for q in found:
            entry = merged.setdefault(
                q["query"],
                {"query": q["query"], "rows_read": 0, "rows_written": 0, "count": 0},
            )
            entry["rows_read"] += int(_number(q.get("rows_read")))
            entry["rows_written"] += int(_number(q.get("rows_written")))
            entry["count"] += int(_number(q.get("count"))) if "count" in q else 0
            if "elapsed_ms" in q:
                entry["elapsed_ms"] = round(
                    entry.get("elapsed_ms", 0.0) + _number(q["elapsed_ms"]), 3
                )
    out = list(merged.values())
    for entry in out:
        if not entry["count"]:
            del entry["count"]  # top_queries only: sqld did not count them
    out.sort(key=lambda e: (-(e["rows_read"] + e["rows_written"]), -e.get("count", 0), e["query"]))
    return out


class QueriesApi:
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    async def top_queries(self, request: Request) -> Response:
        for key in ("from", "to"):
            value = request.query_params.get(key)
            if value is not None:
                parse_timestamp(value)  # a 400 naming the bad time
        db = self.cp.database(request.path_params["db"])
        if db.broken:
            raise ApiError(409, f"database {db.name} is not served by this start: {db.broken}")
        per_instance = []
        for instance in self.cp.instances(db):
            location = PRIMARY if instance["type"] == "primary" else instance["region"]
            try:
                per_instance.append(statements(await self.cp.stats(db, location)))
            except ApiError:
                if location == PRIMARY:
                    raise
                continue  # a replica that never loaded the database ran none of its queries
        return JSONResponse(merge(per_instance))

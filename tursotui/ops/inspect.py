"""One database inspected, as turso-cli's ``db inspect [--verbose] [--queries]`` shows it (headless: the CLI's
``db inspect`` and the console): this month's usage per instance, named with its location and type (the
usage answer names instances by uuid only), and its top queries with rows read and written, count and mean
latency where the server gives them.

Top queries come from ``GET …/usage/queries`` (turso-cli asks from 24 h ago), else the spec's ``/stats``
when that path is unknown (404); neither is Turso Cloud's billing record of a query.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from tursotui.platform import (
    Database,
    Instance,
    NotFound,
    PlatformClient,
    UsageCounters,
)
from tursotui.platform.models_queries import QueryUsage
from tursotui.support import humanize

QUERIES_WINDOW = timedelta(hours=24)
"""How far back the top queries are asked for (turso-cli's ``Stats``)."""


@dataclass(frozen=True)
class InstanceUse:
    uuid: str
    name: str | None
    type: str | None
    location: str | None
    usage: UsageCounters | None
    """None: the usage answer has no entry for this instance."""


@dataclass(frozen=True)
class Inspection:
    database: Database
    total: UsageCounters
    instances: tuple[InstanceUse, ...]
    queries: tuple[QueryUsage, ...] | None = None
    """None: not asked for."""
    queries_source: str = ""
    """``usage/queries`` or ``stats`` (the fallback, which has no count or time)."""


def join_instances(
    instances: list[Instance], usage: dict[str, UsageCounters]
) -> tuple[InstanceUse, ...]:
    """Each instance with its usage; usage of an instance the list does not name comes last, unnamed."""
    out = [
        InstanceUse(i.uuid, i.name, i.type or None, i.region or None, usage.get(i.uuid))
        for i in instances
    ]
    known = {i.uuid for i in instances}
    out += [InstanceUse(u, None, None, None, c) for u, c in usage.items() if u not in known]
    return tuple(out)


async def top_queries(
    platform: PlatformClient, name: str, now: datetime
) -> tuple[tuple[QueryUsage, ...], str]:
    try:
        found = await platform.database_queries(name, from_=now - QUERIES_WINDOW)
        return tuple(found), "usage/queries"
    except NotFound:
        await platform.get_database(name)  # the database itself missing: that 404 is the answer
        stats = await platform.database_stats(name)
        return tuple(
            QueryUsage(q.query, q.rows_read, q.rows_written) for q in stats.top_queries
        ), "stats"


async def inspect_database(
    platform: PlatformClient, name: str, *, queries: bool, now: datetime
) -> Inspection:
    database, instances, usage = await asyncio.gather(
        platform.get_database(name),
        platform.list_instances(name),
        platform.database_usage(name),
    )
    by_uuid = {i.uuid: i.usage for i in usage.instances}
    found: tuple[QueryUsage, ...] | None = None
    source = ""
    if queries:
        found, source = await top_queries(platform, name, now)
    return Inspection(
        database=database,
        total=usage.total,
        instances=join_instances(instances, by_uuid),
        queries=found,
        queries_source=source,
    )


def inspection_json(inspection: Inspection) -> dict[str, Any]:
    db = inspection.database
    body: dict[str, Any] = {
        "database": db.name,
        "group": db.group or None,
        "archived": db.archived or db.sleeping,
        "usage": asdict(inspection.total),
        "instances": [
            {
                "uuid": i.uuid,
                "name": i.name,
                "type": i.type,
                "location": i.location,
                "usage": None if i.usage is None else asdict(i.usage),
            }
            for i in inspection.instances
        ],
    }
    if inspection.queries is not None:
        body["queries_source"] = inspection.queries_source
        body["queries"] = [
            {
                "query": q.query,
                "rows_read": q.rows_read,
                "rows_written": q.rows_written,
                "count": q.count,
                "elapsed_ms": q.elapsed_ms,
                "mean_ms": None if q.mean_ms is None else round(q.mean_ms, 3),
            }
            for q in inspection.queries
        ]
    return body


def _or_dash(value: str | None) -> str:
    return value or "-"


def instance_rows(inspection: Inspection) -> list[list[str]]:
    """LOCATION, TYPE, INSTANCE, ROWS READ, ROWS WRITTEN, STORAGE, SYNCED (decimal sizes)."""
    rows = []
    for i in inspection.instances:
        u = i.usage
        numbers = (
            ["-"] * 4
            if u is None
            else [
                f"{u.rows_read:,}",
                f"{u.rows_written:,}",
                humanize.size(u.storage_bytes),
                humanize.size(u.bytes_synced),
            ]
        )
        rows.append([_or_dash(i.location), _or_dash(i.type), _or_dash(i.name), *numbers])
    return rows


def latency_text(query: QueryUsage) -> str:
    mean = query.mean_ms
    if mean is None:
        return "-"
    return f"{mean:.2f} ms" if mean < 10 else f"{mean:.0f} ms"


def query_rows(inspection: Inspection, width: int = 60) -> list[list[str]]:
    """QUERY (one line, cut to ``width``), ROWS READ, ROWS WRITTEN, COUNT, MEAN LATENCY."""
    rows = []
    for q in inspection.queries or ():
        text = " ".join(q.query.split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        count = "-" if q.count is None else f"{q.count:,}"
        rows.append([text, f"{q.rows_read:,}", f"{q.rows_written:,}", count, latency_text(q)])
    return rows

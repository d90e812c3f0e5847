"""``GET …/databases/{db}/usage/queries``: a database's top queries, from sqld's own statistics.

turso-cli's ``db inspect --queries`` asks this path with ``?from=<24 h ago>`` and reads a bare array of
``{query, rows_read, rows_written}`` (internal/turso/databases.go ``Stats``), the items of the spec's
``DatabaseStatsOutput`` (its ``/stats``, which the CLI calls obsolete). The spec does not document the path.

The answer merges what every instance's sqld counted (primary and replicas), in this run and in the earlier
runs kept (tursotui.local.control.querylog) that ended after ``from``, by query text, and adds, beyond
turso-cli's three fields, ``count`` and ``elapsed_ms`` (the total time, sqld's name): Turso Cloud's answer
may lack them. ``to`` is checked (RFC 3339); the running sqld's counts are always in.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tursotui.local.control import querylog
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.recovery import parse_timestamp
from tursotui.local.errors import ApiError


class QueriesApi:
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    async def top_queries(self, request: Request) -> Response:
        times = {
            key: parse_timestamp(value)  # a 400 naming a bad time
            for key in ("from", "to")
            if (value := request.query_params.get(key)) is not None
        }
        db = self.cp.database(request.path_params["db"])
        if db.broken:
            raise ApiError(409, f"database {db.name} is not served by this start: {db.broken}")
        found = querylog.kept(self.cp, db, times.get("from")) + await querylog.live(self.cp, db)
        return JSONResponse(querylog.merge(found))

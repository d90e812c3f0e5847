"""A database's top queries as ``GET …/databases/{db}/usage/queries`` answers them (turso-cli's ``db inspect
--queries``): a bare array of ``{query, rows_read, rows_written}``, the spec's ``DatabaseStatsOutput`` items.
``count`` and ``elapsed_ms`` (the total time of the ``count`` runs) are read when the server sends them (the
local Turso does, from sqld's statistics); absent, they are None."""

from __future__ import annotations

from dataclasses import dataclass

from tursotui.platform._json import Obj, expect_list, fail


def _opt_number(o: Obj, key: str) -> float | None:
    value = o.raw(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise fail(f"{o.what}.{key}", "a number", value)


@dataclass(frozen=True)
class QueryUsage:
    query: str
    rows_read: int = 0
    rows_written: int = 0
    count: int | None = None
    elapsed_ms: float | None = None
    """Total milliseconds over ``count`` runs, when the server sends it."""

    @property
    def mean_ms(self) -> float | None:
        """Latency of one run on average, when the server gave a time and a count."""
        if self.elapsed_ms is None or not self.count:
            return None
        return self.elapsed_ms / self.count

    @classmethod
    def from_json(cls, data: object) -> QueryUsage:
        o = Obj(data, "query")
        return cls(
            query=o.text("query"),
            rows_read=o.integer("rows_read"),
            rows_written=o.integer("rows_written"),
            count=o.opt_integer("count"),
            elapsed_ms=_opt_number(o, "elapsed_ms"),
        )


def parse_queries(data: object) -> list[QueryUsage]:
    """The array (``null``, as a Go server sends an empty list, is none)."""
    if data is None:
        return []
    return [QueryUsage.from_json(item) for item in expect_list(data, "top queries")]

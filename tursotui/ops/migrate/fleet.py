"""Which databases a ``migrate`` command works on, the tokens it uses, and a bounded, cancellable runner.

Targets are read from the Platform API's database pages (``--group`` asks the server; ``--filter`` is the
fleet filter of :mod:`tursotui.ops.fleet`, tested per row as the pages arrive). The SQL uses ONE token per
group, minted at the group's first database and shared by the others, and recorded in the token ledger as a
session token (as ``doctor --all`` does): the Platform API requests are the pages, one token per group, and
nothing per database. The runner starts at most ``concurrency`` databases at a time; once ``cancel`` is set
it starts none new and lets the ones in flight finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tursotui.ops.errors import InputError
from tursotui.ops.fleet import FleetRow, parse_filter
from tursotui.platform import Database, PlatformClient

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
T = TypeVar("T")


async def list_targets(
    platform: PlatformClient, *, group: str | None = None, filter_text: str = ""
) -> list[Database]:
    """The databases of ``group`` (all: None) that ``filter_text`` matches, in the server's order. A bad
    filter is an InputError before any request."""
    wanted = parse_filter(filter_text)
    found: list[Database] = []
    async for page in platform.database_pages(group=group or None):
        found.extend(db for db in page.databases if wanted.matches(FleetRow.of(db, None)))
    return found


def check_concurrency(value: int) -> int:
    if not 1 <= value <= MAX_CONCURRENCY:
        raise InputError(f"--concurrency takes 1 to {MAX_CONCURRENCY}, not {value}")
    return value


@dataclass
class Rate:
    """Counts and the rate of a run, for progress lines."""

    total: int
    done: int = 0
    started_at: float = field(default_factory=time.monotonic)

    def per_second(self) -> float:
        elapsed = time.monotonic() - self.started_at
        return self.done / elapsed if elapsed > 0 else 0.0


async def run_bounded(
    items: Sequence[Database],
    work: Callable[[Database], Awaitable[T]],
    concurrency: int,
    *,
    cancel: asyncio.Event | None = None,
    started: Callable[[Database], None] | None = None,
    finished: Callable[[Database, T], None] | None = None,
) -> dict[str, T]:
    """``work(db)`` for the databases in order, at most ``concurrency`` at once; after ``cancel`` is set no
    new one starts (the ones in flight finish). Returns the results by name of the databases that ran."""
    queue = iter(items)
    results: dict[str, T] = {}

    async def worker() -> None:
        while cancel is None or not cancel.is_set():
            db = next(queue, None)
            if db is None:
                return
            if started is not None:
                started(db)
            result = await work(db)
            results[db.name] = result
            if finished is not None:
                finished(db, result)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(items))))))
    return results

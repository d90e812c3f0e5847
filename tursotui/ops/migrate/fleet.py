"""Which databases a ``migrate`` command works on, the tokens it uses, and a bounded, cancellable runner.

Targets are read from the Platform API's database pages (``--group`` asks the server; ``--filter`` is the
fleet filter of :mod:`tursotui.ops.fleet`, tested per row as the pages arrive). The SQL uses ONE token per
group, minted at the group's first database and shared by the others, and recorded in the token ledger as a
session token (as ``doctor --all`` does): the Platform API requests are the pages, one token per group, and
nothing per database. The runner starts at most ``concurrency`` databases at a time; once ``cancel`` is set
it starts none new and lets the ones in flight finish."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import httpx

from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.fleet import FleetRow, parse_filter
from tursotui.ops.tokens import TokenLedger, entry_for, parse_expiration
from tursotui.platform import Database, PlatformClient

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
TOKEN_EXPIRATION = "1h"  # noqa: S105 (a lifetime, not a secret)
SQL_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
T = TypeVar("T")
Authorization = Literal["full-access", "read-only"]


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


@dataclass
class GroupTokens:
    """One token per group (``authorization``), minted once and shared; recorded in ``ledger``."""

    platform: PlatformClient
    authorization: Authorization
    ledger: TokenLedger | None = None
    target: str = ""
    minted: int = 0
    tokens: dict[str, asyncio.Task[str]] = field(default_factory=dict)

    def token(self, group: str) -> Awaitable[str]:
        if group not in self.tokens:
            self.tokens[group] = asyncio.ensure_future(self._mint(group))
        return self.tokens[group]

    async def _mint(self, group: str) -> str:
        jwt = (
            await self.platform.create_group_token(
                group, expiration=TOKEN_EXPIRATION, authorization=self.authorization
            )
        ).jwt
        self.minted += 1
        if self.ledger is not None:
            entry = entry_for(
                jwt,
                scope="group",
                database="",
                group=group,
                organization=self.platform.organization or "",
                target=self.target,
                expiration=parse_expiration(TOKEN_EXPIRATION),
                kind="session",
            )
            with contextlib.suppress(OpsError):  # a damaged ledger is reported by the Tokens tab
                self.ledger.record(entry)
        return str(jwt)


def sql_pool() -> httpx.AsyncClient:
    """One HTTP pool for every database's SQL of a run."""
    return httpx.AsyncClient(timeout=SQL_TIMEOUT)


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

"""Bulk actions on a selection of databases, headless: verified backups, token mints, group token rotations and
deletes, each item run with bounded concurrency, a progress callback, and a cancel that lets the items in flight
finish and starts no new one. Every item ends with a result (done, failed, refused before any request, or not
started); nothing stops at the first failure.

:func:`plan` turns a selection (:class:`~tursotui.ops.fleet.FleetRow`) into a :class:`BulkPlan` — the items and
what is refused up front (a delete under delete protection, a rotation of a database in no group) — whose
``count`` is what the operator types to confirm. :func:`run_bulk` runs it with one of the item functions made by
:func:`backup_item`, :func:`mint_item`, :func:`rotate_item` or :func:`delete_item`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from tursotui.libsql import HranaClient, LibsqlError
from tursotui.ops.backup import backup_database
from tursotui.ops.backups import BackupFormat, next_backup_path
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.fleet import FleetRow
from tursotui.ops.session_tokens import session_tokens
from tursotui.ops.token_actions import issue_token
from tursotui.ops.tokens import Expiration, LedgerEntry, TokenLedger
from tursotui.platform import PlatformClient, PlatformError

Action = Literal["backup", "mint", "rotate", "delete"]
Outcome = Literal["done", "failed", "refused", "not started"]
ItemWork = Callable[[str], Awaitable[str]]
"""Does one item (a database, or a group for a rotation) and says what was done; raises to fail it."""
OpenSql = Callable[[str, bool], AbstractAsyncContextManager[HranaClient]]

CONCURRENCY: dict[Action, int] = {"backup": 2, "mint": 8, "rotate": 4, "delete": 8}
"""Items in flight at once: backups verify on this machine's CPU; the others are one or two requests each."""
VERBS: dict[Action, tuple[str, str]] = {
    "backup": ("back up", "backed up"),
    "mint": ("mint a token for", "minted"),
    "rotate": ("rotate the tokens of", "rotated"),
    "delete": ("delete", "deleted"),
}
ITEM_ERRORS = (OpsError, PlatformError, LibsqlError, OSError)
LEDGER_SETTLE = 1.0
"""Seconds without a mint in flight before a bulk mint's ledger journal is folded into the ledger."""


@dataclass(frozen=True)
class ItemResult:
    name: str
    outcome: Outcome
    detail: str = ""
    """What was done (a file, a token's fingerprint and expiry) or why not."""


@dataclass(frozen=True)
class BulkPlan:
    action: Action
    items: tuple[str, ...]
    """Databases, or groups for a rotation: what runs."""
    refused: tuple[ItemResult, ...] = ()
    """Refused before any request (each with its reason)."""
    databases: int = 0
    """How many databases the items cover (a rotation: every database of the groups)."""
    refusal: str = ""
    """Why the refused ones are, in a few words (each result has the whole reason)."""

    @property
    def count(self) -> int:
        """What the operator types to confirm."""
        return len(self.items)

    @property
    def noun(self) -> str:
        unit = "group" if self.action == "rotate" else "database"
        return f"{self.count:,} {unit}{'s' if self.count != 1 else ''}"

    def prompt(self) -> str:
        """``type 312 to back up 312 databases``."""
        return f"type {self.count} to {VERBS[self.action][0]} {self.noun}"


def plan(
    action: Action,
    rows: Sequence[FleetRow],
    group_members: Mapping[str, Sequence[str]] | None = None,
) -> BulkPlan:
    """The items of ``action`` on ``rows``; ``group_members``: every database of each group (a rotation ends
    their tokens too, not only the selected ones')."""
    if action == "rotate":
        groups = sorted({row.group for row in rows if row.group})
        refused = tuple(
            ItemResult(
                row.name, "refused", "in no group: rotate its tokens on its own (Tokens tab)"
            )
            for row in rows
            if not row.group
        )
        members = group_members or {}
        covered = sum(len(members.get(g, ())) for g in groups)
        return BulkPlan(action, tuple(groups), refused, covered, "in no group")
    if action == "delete":
        refused = tuple(
            ItemResult(
                row.name,
                "refused",
                "delete protection is on (turn it off first: tursotui db config "
                f"{row.name} --delete-protection off)",
            )
            for row in rows
            if row.delete_protection
        )
        items = tuple(row.name for row in rows if not row.delete_protection)
        return BulkPlan(action, items, refused, len(items), "delete protection on")
    names = tuple(row.name for row in rows)
    return BulkPlan(action, names, (), len(names))


@dataclass
class BulkProgress:
    total: int
    done: int = 0
    failed: int = 0
    running: list[str] = field(default_factory=list)

    def text(self, verb: str) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        now = f" · {', '.join(self.running[:2])}" if self.running else ""
        return f"{verb}: {self.done} of {self.total} done{failed}{now}"


class Cancel:
    """Set it to stop a bulk run: the items in flight finish, no new one starts."""

    def __init__(self) -> None:
        self.requested = False

    def set(self) -> None:
        self.requested = True


@dataclass(frozen=True)
class BulkReport:
    action: Action
    results: tuple[ItemResult, ...]
    cancelled: bool = False

    def of(self, outcome: Outcome) -> list[ItemResult]:
        return [r for r in self.results if r.outcome == outcome]

    def summary(self) -> str:
        """``310 backed up, 1 failed, 1 refused`` (then ``cancelled: 12 not started``)."""
        counts = [
            f"{len(self.of('done'))} {VERBS[self.action][1]}",
            *(f"{len(self.of(o))} {o}" for o in ("failed", "refused") if self.of(o)),
        ]
        if self.cancelled:
            counts.append(f"cancelled: {len(self.of('not started'))} not started")
        return ", ".join(counts)

    def details(self, limit: int = 50) -> list[str]:
        """One line per item that did not succeed (at most ``limit``, then how many more)."""
        lines = [f"{r.name}: {r.outcome}: {r.detail}" for r in self.results if r.outcome != "done"]
        if len(lines) > limit:
            lines = [*lines[:limit], f"… and {len(lines) - limit} more"]
        return lines


async def run_bulk(
    bulk: BulkPlan,
    work: ItemWork,
    *,
    concurrency: int | None = None,
    progress: Callable[[BulkProgress], None] | None = None,
    cancel: Cancel | None = None,
) -> BulkReport:
    """Run ``work`` on every item of ``bulk``, at most ``concurrency`` at once, in the order of the items."""
    limit = max(1, concurrency or CONCURRENCY[bulk.action])
    state = BulkProgress(len(bulk.items))
    results: dict[str, ItemResult] = {}
    queue = list(bulk.items)
    queue.reverse()

    def tell() -> None:
        if progress is not None:
            progress(state)

    async def worker() -> None:
        while queue and not (cancel is not None and cancel.requested):
            name = queue.pop()
            state.running.append(name)
            tell()
            try:
                detail = await work(name)
            except ITEM_ERRORS as exc:
                results[name] = ItemResult(name, "failed", str(exc))
                state.failed += 1
            else:
                results[name] = ItemResult(name, "done", detail)
            finally:
                state.running.remove(name)
            state.done += 1
            tell()

    tell()
    await asyncio.gather(*(worker() for _ in range(min(limit, len(bulk.items)))))
    cancelled = bool(queue)
    ordered = [
        results.get(name) or ItemResult(name, "not started", "cancelled before it started")
        for name in bulk.items
    ]
    return BulkReport(bulk.action, (*ordered, *bulk.refused), cancelled)


# -- the items ----------------------------------------------------------------------------------------------


def backup_item(
    open_sql: OpenSql, directory: Path, now: Callable[[], datetime], fmt: BackupFormat = "sql"
) -> ItemWork:
    """A verified backup of a database into ``directory`` (read-only token), as the Backups tab makes one."""

    async def one(database: str) -> str:
        target = await asyncio.to_thread(next_backup_path, directory, database, fmt, now())
        async with open_sql(database, True) as client:
            result = await backup_database(client, target, database=database, fmt=fmt)
        return f"{result.path.name} (verified, {sum(result.tables.values())} rows)"

    return one


@dataclass
class MintedTokens:
    """The tokens a bulk mint made, kept only in ``path`` (0600 from its creation, in a 0700 folder; one JSON
    line per token, appended as each is minted), never shown in full."""

    path: Path
    count: int = 0

    def add(self, database: str, token: str, expires_at: str | None) -> None:
        line = {"database": database, "token": token, "expires_at": expires_at}
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.count += 1


def check_bulk_expiration(expiration: Expiration) -> Expiration:
    """``expiration`` for tokens minted in bulk: a lifetime, never ``never``."""
    if expiration.seconds is None:
        raise InputError(
            "tokens minted in bulk must expire: give a lifetime such as 7d or 90d "
            "(`tursotui token create` mints one lasting token when one is needed)"
        )
    return expiration


def mint_item(
    platform: PlatformClient,
    expiration: Expiration,
    *,
    read_only: bool,
    ledger: TokenLedger | None,
    target: str,
    sink: MintedTokens,
) -> ItemWork:
    """A database token per database: recorded in the ledger (metadata) and written to ``sink``'s file. Every
    token minted in bulk expires: ``never`` is refused (one action could write thousands of lasting secrets).

    The ledger entries go to its journal (``TokenLedger.append``: O(1) each, where ``record`` rewrites the
    whole ledger), folded into the ledger file once no mint has been in flight for :data:`LEDGER_SETTLE`
    seconds (the end of the run)."""
    check_bulk_expiration(expiration)
    in_flight = 0
    settling: set[asyncio.Task[None]] = set()
    writing = asyncio.Lock()

    async def settle(book: TokenLedger) -> None:
        await asyncio.sleep(LEDGER_SETTLE)
        if in_flight == 0:
            await asyncio.to_thread(book.compact)

    def keep(database: str, token: str, entry: LedgerEntry) -> None:
        sink.add(
            database, token, entry.expires_at
        )  # first: a ledger that cannot be written loses no token
        if ledger is not None:
            ledger.append(entry)

    async def one(database: str) -> str:
        nonlocal in_flight
        in_flight += 1
        try:
            issued = await issue_token(
                platform,
                database=database,
                group=None,
                expiration=expiration,
                read_only=read_only,
                ledger=None,
                target=target,
            )
            entry = issued.entry
            async with writing:  # one item's files at a time, in the order the mints came back
                await asyncio.to_thread(keep, database, issued.token, entry)
        finally:
            in_flight -= 1
            if in_flight == 0 and ledger is not None:
                task = asyncio.create_task(settle(ledger))
                settling.add(task)
                task.add_done_callback(settling.discard)
        return f"token {entry.fingerprint}, expires {entry.expires_at or 'never'}"

    return one


def rotate_item(
    platform: PlatformClient,
    group_members: Mapping[str, Sequence[str]],
    *,
    ledger: TokenLedger | None,
    target: str,
) -> ItemWork:
    """Rotate a group's tokens (every token of its databases stops working); the ledger marks them revoked."""
    organization = platform.organization or ""

    async def one(group: str) -> str:
        await platform.rotate_group_tokens(group)
        revoked = 0
        if ledger is not None:
            revoked = len(
                await asyncio.to_thread(
                    ledger.mark_revoked, group=group, organization=organization, target=target
                )
            )
        members = tuple(group_members.get(group, ()))
        session_tokens(platform).forget_group(organization, group, members)
        return f"{len(members)} databases' tokens ended, {revoked} ledger entries revoked"

    return one


def delete_item(platform: PlatformClient) -> ItemWork:
    async def one(database: str) -> str:
        await platform.delete_database(database)
        return "deleted"

    return one

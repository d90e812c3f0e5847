"""``tursotui db list [--group G] [--filter TEXT] [--sort KEY] [--limit N] [--page-size N] [--json]``.

The list is streamed: each page of the Platform API's database list is printed as it arrives (a table whose
widths the first page sets, or JSON lines), so memory holds one page, whatever the size of the organization.
A sort other than the server's order needs every row first: a first pass over the pages keeps one compact
``(key, name)`` pair per matching database (never the records), then the chosen names are printed in order
by reading the pages again, a window of :data:`WINDOW` records at a time (see :data:`COSTS`).

The filter and the sort rules are the console's (``ops/fleet.py``): the same words match the same databases.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import asdict, fields
from typing import Any

from tursotui.cli.context import FAILED, OK, Context
from tursotui.ops.fleet import SORT_NAMES, Filter, FleetRow, SortKey, parse_filter, parse_sort
from tursotui.ops.fleet import sort_key as fleet_sort_key
from tursotui.platform import Database, PlatformClient, PlatformError, UsageCounters
from tursotui.platform.client import DatabasePage
from tursotui.support.humanize import size

DEFAULT_PAGE_SIZE = 100
"""Databases asked per page (``limit``): what memory holds while streaming."""
MAX_PAGE_SIZE = 1000
WINDOW = 2500
"""Records held at once while a sorted listing is printed: each window is one more read of the pages."""

COSTS = f"""\
output:
  A table that starts printing with the first page, then a count line. With --json, JSON lines: one
  database object per line (the fields of `db show --json`'s "database"; with a usage sort also
  "usage": {{"rows_read", "rows_written", "storage_bytes"}}, each null where the organization usage has
  no row for it), then a last line {{"summary": {{"organization", "target", "listed", "matched", "shown",
  "pages", "group", "filter", "sort", "limit", "vanished", "read_all"}}}} ("read_all": false when --limit
  stopped the reading early; "vanished": databases deleted between the two reads of a sort). A listing is
  complete only when the summary line is there: a page that fails leaves the lines printed so far, then
  {{"error", "exit_code", "page"}} (exit 1).

what it costs:
  no --sort       pages are printed as they arrive (the server's order); memory holds one page; --limit
                  stops asking for pages once N databases are printed.
  --sort KEY      every page is read first, keeping a (key, name) pair per matching database (about
                  100 bytes each, never the whole records); then the pages are read again to print the
                  chosen databases in order, {WINDOW:,} of them per read (--limit N <= {WINDOW:,}: one more
                  read). size, rows-read, rows-written and usage (read + written) add one request for the
                  organization's usage (GET /v1/organizations/ORG/usage, one row per database, whose
                  totals are kept by database id): the largest first, databases it has no row for last.
                  name sorts A to Z.

filter (the console's `/` filter):
  words must all match; a bare word matches the name, group or location (substring, any case);
  name:W, group:W, location:W (loc:W) match one field, group:=W the whole value, -W excludes."""

UsageByUuid = dict[str, UsageCounters]


def add_arguments(actions: Any, common: argparse.ArgumentParser) -> None:
    parser = actions.add_parser(
        "list",
        parents=[common],
        help="databases of the organization, streamed page by page (filter, sort, limit)",
        description="List the organization's databases as the pages of the list arrive.",
        epilog=COSTS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--group", metavar="G", help="only the databases of group G (asked of the server)"
    )
    parser.add_argument(
        "--filter",
        metavar="TEXT",
        default="",
        help="only databases matching TEXT (see filter below)",
    )
    parser.add_argument(
        "--sort",
        metavar="KEY",
        choices=SORT_NAMES,
        help=f"order by {', '.join(SORT_NAMES)} (reads the list twice: see what it costs below)",
    )
    parser.add_argument(
        "--limit", metavar="N", type=_positive("--limit"), help="at most N databases"
    )
    parser.add_argument(
        "--page-size",
        metavar="N",
        type=_positive("--page-size", MAX_PAGE_SIZE),
        default=DEFAULT_PAGE_SIZE,
        help=f"databases per page asked of the server (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})",
    )


def _positive(flag: str, most: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} {text!r}: not a whole number") from None
        if value < 1 or (most is not None and value > most):
            bound = f"between 1 and {most}" if most is not None else "at least 1"
            raise argparse.ArgumentTypeError(f"{flag} {value}: must be {bound}")
        return value

    return parse


def database_json(db: Database) -> dict[str, Any]:
    """The record as ``db show --json`` has it (``asdict``'s shape, built without its deep copy)."""
    body = {f.name: getattr(db, f.name) for f in fields(db)}
    body["regions"] = list(db.regions)
    body["parent"] = None if db.parent is None else asdict(db.parent)
    body["url"] = db.url
    body["http_url"] = db.http_url
    return body


def flags(db: Database) -> str:
    found = []
    if db.block_reads:
        found.append("reads-blocked")
    if db.block_writes:
        found.append("writes-blocked")
    if db.delete_protection:
        found.append("delete-protected")
    if db.archived or db.sleeping:
        found.append("archived" if db.archived else "sleeping")
    if db.parent is not None:
        found.append(f"from:{db.parent.name}")
    return ",".join(found) or "-"


class PageFailed(Exception):
    """A page of the list could not be read: which one, after how many databases, and why."""

    def __init__(self, page: int, listed: int, cause: PlatformError) -> None:
        super().__init__(
            f"{cause} (page {page} of the database list failed, after {listed:,} databases were read)"
        )
        self.page = page


class _Out:
    """Prints databases as they come: JSON lines, or a table whose widths the first batch sets."""

    def __init__(self, ctx: Context, sort: SortKey | None) -> None:
        self.ctx = ctx
        self.usage_column = sort if sort is not None and sort is not SortKey.NAME else None
        self.headers = ["NAME", "GROUP", "PRIMARY", "URL", "FLAGS"]
        if self.usage_column is not None:
            self.headers.insert(1, self.usage_column.label.upper())
        self.widths: list[int] | None = None
        self.batch: list[list[str]] = []
        self.shown = 0

    def add(self, db: Database, usage: UsageCounters | None) -> None:
        self.shown += 1
        if self.ctx.json:
            body = database_json(db)
            if self.usage_column is not None:
                body["usage"] = _usage_json(usage)
            self.line(body)
            return
        row = [db.name, db.group or "-", db.primary_region or "-", db.url, flags(db)]
        if self.usage_column is not None:
            row.insert(1, _usage_cell(self.usage_column, usage))
        self.batch.append(row)

    def line(self, body: dict[str, Any]) -> None:
        # Scrubbed as text: a mask has no quote or backslash, so the line stays the same JSON.
        self.ctx.stdout.write(self.ctx.scrub(json.dumps(body, sort_keys=True, default=str)) + "\n")

    def flush(self) -> None:
        if self.batch:
            if self.widths is None:
                self.widths = [
                    max([len(h), *(len(r[i]) for r in self.batch)])
                    for i, h in enumerate(self.headers)
                ]
                self._row(self.headers)
            for row in self.batch:
                self._row(row)
            self.batch = []
        self.ctx.stdout.flush()

    def _row(self, cells: Sequence[str]) -> None:
        assert self.widths is not None
        self.ctx.out(
            "  ".join(c.ljust(w) for c, w in zip(cells, self.widths, strict=True)).rstrip()
        )


def _usage_json(usage: UsageCounters | None) -> dict[str, int | None]:
    if usage is None:
        return {"rows_read": None, "rows_written": None, "storage_bytes": None}
    return {
        "rows_read": usage.rows_read,
        "rows_written": usage.rows_written,
        "storage_bytes": usage.storage_bytes,
    }


def _usage_cell(key: SortKey, usage: UsageCounters | None) -> str:
    if usage is None:
        return "-"
    if key is SortKey.SIZE:
        return size(usage.storage_bytes)
    row = FleetRow("", rows_read=usage.rows_read, rows_written=usage.rows_written)
    value = key.value_of(row)
    return "-" if value is None else f"{value:,}"


class Listing:
    """One ``db list`` run: the pages read, the databases listed and matched."""

    def __init__(self, platform: PlatformClient, args: argparse.Namespace) -> None:
        self.platform = platform
        self.group: str | None = args.group or None
        self.filter: Filter = parse_filter(args.filter or "")
        self.sort: SortKey | None = parse_sort(args.sort) if args.sort else None
        self.limit: int | None = args.limit
        self.page_size: int = args.page_size
        self.listed = 0
        self.matched = 0
        self.pages = 0
        self.vanished = 0
        self.read_all = True
        """False when --limit stopped the reading early (``listed``/``matched`` count the pages read)."""
        self.usage: UsageByUuid = {}

    async def pages_of(self, *, count: bool) -> AsyncGenerator[DatabasePage, None]:
        """The list's pages; a failing one raises :class:`PageFailed` naming it."""
        number, read = 0, 0
        pages = self.platform.database_pages(group=self.group, page_size=self.page_size)
        async with aclosing(pages):
            while True:
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return
                except PlatformError as exc:
                    raise PageFailed(number + 1, read, exc) from exc
                number, read = page.number, read + len(page.databases)
                if count:
                    self.pages, self.listed = number, read
                yield page

    def row(self, db: Database) -> FleetRow:
        return FleetRow.of(db, self.usage_of(db))

    def usage_of(self, db: Database) -> UsageCounters | None:
        return self.usage.get(db.db_id) if db.db_id else None

    async def load_usage(self) -> None:
        """Per-database totals from the organization usage (one request), by database uuid."""
        if self.sort is None or self.sort is SortKey.NAME:
            return
        try:
            org = await self.platform.organization_usage()
        except PlatformError as exc:
            raise PlatformError(
                f"--sort {self.sort.value} needs the organization usage, which failed: {exc}"
            ) from exc
        self.usage = {d.uuid: d.total for d in org.databases if d.uuid}

    async def stream(self, out: _Out) -> None:
        """No sort: print each page's matches as it arrives; stop asking once ``limit`` are printed."""
        async with aclosing(self.pages_of(count=True)) as pages:
            async for page in pages:
                for db in page.databases:
                    if self.filter and not self.filter.matches(self.row(db)):
                        continue
                    self.matched += 1
                    out.add(db, None)
                    if self.limit is not None and out.shown >= self.limit:
                        out.flush()
                        self.read_all = page.last
                        return
                out.flush()

    async def chosen(self) -> list[str]:
        """First pass of a sort: the names to print, in order (compact ``(key, name)`` pairs meanwhile)."""
        assert self.sort is not None
        key = fleet_sort_key(self.sort)
        pairs: list[tuple[tuple[int, int, str], str]] = []
        async for page in self.pages_of(count=True):
            for db in page.databases:
                row = self.row(db)
                if self.filter.matches(row):
                    self.matched += 1
                    pairs.append((key(row), db.name))
            if self.limit is not None and len(pairs) > 2 * max(self.limit, WINDOW):
                pairs = sorted(pairs)[: self.limit]
        pairs.sort()
        return [name for _, name in pairs[: self.limit]]

    async def print_in_order(self, names: list[str], out: _Out) -> None:
        """Second pass: the records of ``names`` in that order, :data:`WINDOW` at a time."""
        for start in range(0, len(names), WINDOW):
            window = names[start : start + WINDOW]
            wanted = {name: i for i, name in enumerate(window)}
            found: dict[int, Database] = {}
            done = 0
            async with aclosing(self.pages_of(count=False)) as pages:
                async for page in pages:
                    for db in page.databases:
                        index = wanted.get(db.name)
                        if index is not None and index >= done:
                            found[index] = db
                    while done in found:
                        db = found.pop(done)
                        out.add(db, self.usage_of(db))
                        done += 1
                    out.flush()
                    if done == len(window):
                        break
            for index in range(done, len(window)):  # deleted since the first pass
                if index in found:
                    db = found.pop(index)
                    out.add(db, self.usage_of(db))
                else:
                    self.vanished += 1
                    out.ctx.info(
                        f"tursotui: {window[index]} is no longer listed (deleted meanwhile?)"
                    )
            out.flush()

    def summary(self, organization: str, target: str, shown: int) -> dict[str, Any]:
        return {
            "organization": organization,
            "target": target,
            "listed": self.listed,
            "matched": self.matched,
            "shown": shown,
            "pages": self.pages,
            "group": self.group,
            "filter": self.filter.text or None,
            "sort": self.sort.value if self.sort is not None else None,
            "limit": self.limit,
            "vanished": self.vanished,
            "read_all": self.read_all,
        }


async def list_command(ctx: Context) -> int:
    parse_filter(
        ctx.args.filter or ""
    )  # a bad filter is refused before anything is started or asked
    async with ctx.backend() as backend:
        return await list_databases(ctx, backend.platform, ctx.settings.target)


async def list_databases(ctx: Context, platform: PlatformClient, target: str) -> int:
    """Print the list as ``ctx.args`` asks; a page that fails ends it with exit 1, what was printed stands."""
    listing = Listing(platform, ctx.args)
    out = _Out(ctx, listing.sort)
    try:
        if listing.sort is None:
            await listing.stream(out)
        else:
            await listing.load_usage()
            await listing.print_in_order(await listing.chosen(), out)
    except PageFailed as exc:
        out.flush()
        return _failed(ctx, exc)
    summary = listing.summary(platform.organization or "", target, out.shown)
    if ctx.json:
        out.line({"summary": summary})
        ctx.stdout.flush()
        return OK
    ctx.out(_count_line(summary))
    return OK


def _count_line(summary: dict[str, Any]) -> str:
    organization, listed, shown = summary["organization"], summary["listed"], summary["shown"]
    if listed == 0:
        where = f" in group {summary['group']}" if summary["group"] else ""
        return f"no databases{where} in organization {organization}"
    if shown == 0:
        return f"no database of the {listed:,} listed matches {summary['filter']!r}"
    noun = "database" if listed == 1 else "databases"
    parts = [f"{shown:,} of {listed:,} {noun}" if shown != listed else f"{listed:,} {noun}"]
    if summary["filter"]:
        parts.append(f"{summary['matched']:,} match {summary['filter']!r}")
    if summary["sort"]:
        parts.append(f"sorted by {summary['sort']}")
    parts.append(f"{summary['pages']:,} page{'s' if summary['pages'] != 1 else ''}")
    return " · ".join(parts)


def _failed(ctx: Context, exc: PageFailed) -> int:
    message = ctx.scrub(" ".join(str(exc).split()))
    ctx.info(f"tursotui: {message}")
    if ctx.json:
        line = {"error": message, "exit_code": FAILED, "page": exc.page}
        ctx.stdout.write(json.dumps(line, sort_keys=True) + "\n")
        ctx.stdout.flush()
    return FAILED

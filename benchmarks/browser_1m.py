"""Table browser on a 1,000,000-row users table (run by hand: `.venv/bin/python benchmarks/browser_1m.py [ROWS]`).

Builds the xSwarm schema on a local Turso (real sqld) in a temp dir, fills `users` server-side, then times the
browser's own queries (`SqlSession.page` with the pane's `PageRequest`s: keyset, never OFFSET): open (first
page), End (last page), next page after End's previous, search by email exact and by prefix; and the same
through the pane in a headless TursoApp (key press to rows applied). Peak RSS of this process (sqld is a
separate process). Results: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso
from tursotui.ops.browse.query import PageRequest, Search
from tursotui.ops.browse.session import SqlSession
from tursotui.support.xswarm import SCHEMA
from tursotui.ui.app import TursoApp
from tursotui.ui.panes.browser import BrowserPane
from tursotui.ui.services import Services, banner_text

sys.path.insert(0, str(Path(__file__).parent))
from backup_1m import FILL, ROWS

PAGE = 30
RUNS = 20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(label: str, fn: Callable[[], Awaitable[Any]], runs: int = RUNS) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:44s} median {statistics.median(samples):7.1f} ms  max {max(samples):7.1f} ms (n={runs})"
    )


async def until(condition: Callable[[], bool], limit: float = 60.0) -> None:
    end = time.perf_counter() + limit
    for _ in range(10_000_000):
        if condition() or time.perf_counter() > end:
            return
        await asyncio.sleep(0.001)


async def pane_timings(turso: LocalTurso, root: Path) -> None:
    app = TursoApp(
        Services(
            platform=turso.platform_client(),
            target="local",
            banner=banner_text("local", turso.organization),
            data_dir=root / "data",
            database_name="xswarm-users",
            refresh_interval=3600.0,
        )
    )
    app.animation_level = "none"
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.press("b")
        pane = app.screen.query_one(BrowserPane)
        await until(lambda: pane.page is not None)

        async def step(action: Callable[[], object], label: str) -> None:
            before = pane.page
            start = time.perf_counter()
            action()
            await until(lambda: pane.page is not before)
            took = 1000 * (time.perf_counter() - start)
            print(f"{label:44s} {took:7.1f} ms  rows read {pane.last_rows_read}")

        await step(lambda: pane.open_table("users"), "pane: open users (catalog + first page)")
        await step(pane.action_last_page, "pane: End")
        await step(pane.action_first_page, "pane: Home")

        def search() -> None:
            pane.search = Search("email", "user777777@example.com")
            pane.load("first")

        await step(search, "pane: search email exact")


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="tursotui-bench-browser-"))
    try:
        async with LocalTurso(root / "org", recovery_interval=0) as turso:
            platform = turso.platform_client()
            await platform.create_group("default", "sjc")
            db = await platform.create_database("xswarm-users", "default")
            token = (await platform.create_database_token("xswarm-users")).jwt
            start = time.perf_counter()
            async with HranaClient(db.url, token, timeout=600) as sql:
                await sql.batch(list(SCHEMA))
                await sql.execute(FILL)
            print(
                f"filled {ROWS:,} users in {time.perf_counter() - start:.1f} s; RSS {rss_mb():.0f} MiB"
            )
            session = await SqlSession.open(platform, "xswarm-users", read_only=True)
            try:
                info = await session.table_info("users")
                first = await session.page(PageRequest(info, PAGE))
                last = await session.page(PageRequest(info, PAGE, "last"))
                print(f"rows read: first page {first.rows_read}, last page {last.rows_read}")
                await timed("open: first page", lambda: session.page(PageRequest(info, PAGE)))
                await timed("End: last page", lambda: session.page(PageRequest(info, PAGE, "last")))
                await timed(
                    "next page from the middle",
                    lambda: session.page(PageRequest(info, PAGE, "next", boundary=(ROWS // 2,))),
                )
                exact = Search("email", "user777777@example.com")
                prefix = Search("email", "user77777", "prefix")
                hit = await session.page(PageRequest(info, PAGE, search=exact))
                print(f"email exact: {len(hit.rows)} row(s), rows read {hit.rows_read}")
                await timed(
                    "search email exact",
                    lambda: session.page(PageRequest(info, PAGE, search=exact)),
                )
                await timed(
                    "search email prefix",
                    lambda: session.page(PageRequest(info, PAGE, search=prefix)),
                )
                await timed(
                    "sort by email, End",
                    lambda: session.page(PageRequest(info, PAGE, "last", sort="email")),
                )
            finally:
                await session.aclose()
            await pane_timings(turso, root)
            await platform.aclose()
            print(f"peak RSS of this process: {rss_mb():.0f} MiB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

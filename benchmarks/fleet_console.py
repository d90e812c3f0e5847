"""The console with 10,000 databases: refresh time, filter keystroke → table repainted, RSS over a soak, and
Textual's DataTable doing the same work (why the Databases pane has its own virtualised table).

Run by hand (never in CI), headless (Textual's ``run_test``, 120×36), against the fake org of
``tests/fixtures/fake_fleet.py`` served in-process over ``httpx.MockTransport`` (the Platform API's JSON is
built, sent and parsed on every refresh, so its cost is in the numbers; no network, no sqld):

    .venv/bin/python benchmarks/fleet_console.py refresh [RUNS]     # full (ctrl+r) and timed refreshes
    .venv/bin/python benchmarks/fleet_console.py filter [KEYS]      # "/" then keys typed one by one
    .venv/bin/python benchmarks/fleet_console.py soak [MINUTES]     # 1 s refresh, RSS every 15 s
    .venv/bin/python benchmarks/fleet_console.py datatable          # DataTable with the same 10,000 rows
    .venv/bin/python benchmarks/fleet_console.py all                # each of the above, in one run
    .venv/bin/python benchmarks/fleet_console.py local [RUNS]       # refresh + filter on the local Turso's fleet

``local`` starts the local Turso in this process on the fleet ``benchmarks/fleet_build.py build`` made
(``$TMPDIR/tursotui-fleet/local-turso``; real sqld, real Platform API over the in-process transport).

``N=…`` in the environment changes the number of databases (10,000 by default). Results: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from fixtures.fake_fleet import FleetOrg, fleet_org  # noqa: E402
from fixtures.fake_org import TOKEN  # noqa: E402

from tursotui.platform import PlatformClient  # noqa: E402
from tursotui.ui.app import TursoApp  # noqa: E402
from tursotui.ui.services import Services, banner_text  # noqa: E402

N = int(os.environ.get("N", "10000"))
SIZE = (120, 36)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_app(
    org: FleetOrg | None, refresh: float = 3600.0, platform: PlatformClient | None = None
) -> TursoApp:
    if platform is None:
        assert org is not None
        platform = PlatformClient(
            TOKEN, organization=org.slug, transport=httpx.MockTransport(org.handler), max_retries=0
        )
    target: Literal["cloud", "local"] = "cloud" if org is not None else "local"
    services = Services(
        platform=platform,
        target=target,
        banner=banner_text(target, platform.organization or ""),
        data_dir=Path(tempfile.mkdtemp(prefix="fleet-console-")),
        database_name="tenant-00001",
        refresh_interval=refresh,
        latency_probe=_probe,
    )
    app = TursoApp(services)
    app.animation_level = "none"
    return app


async def _probe(hostname: str) -> float | None:
    return 1.0


async def first_refresh(pilot: Any) -> None:
    main = pilot.app.main
    while main.refresh_count < 1:
        await pilot.pause(0.01)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, int(len(values) * 0.95) - 1)]
    return (
        f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {values[-1] * 1000:.1f} ms (n={len(values)})"
    )


async def refresh(runs: int, platform: PlatformClient | None = None) -> None:
    from tursotui.ui.panes.databases import DatabasesPane

    pane_times: list[float] = []
    real_show = DatabasesPane.show_snapshot

    def timed_show(self: DatabasesPane, *args: Any) -> None:
        t0 = time.perf_counter()
        real_show(self, *args)
        pane_times.append(time.perf_counter() - t0)

    DatabasesPane.show_snapshot = timed_show  # type: ignore[method-assign,assignment]
    org = fleet_org(N) if platform is None else None
    served: list[float] = []
    """The fake Platform API building its answers: its work, not the console's (JSON encoding not in it)."""
    if org is not None:
        route = org.route

        def timed_route(method: str, path: str) -> tuple[int, Any]:
            t0 = time.perf_counter()
            answer: tuple[int, Any] = route(method, path)
            served.append(time.perf_counter() - t0)
            return answer

        org.route = timed_route
    app = make_app(org, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        start = time.perf_counter()
        await first_refresh(pilot)
        print(
            f"first refresh with {N:,} databases, shown: {(time.perf_counter() - start) * 1000:.0f} ms"
        )
        main = app.main
        for manual in (True, False):
            samples = []
            calls = []
            serving: list[float] = []
            pane_times.clear()
            for n in range(runs):
                if (
                    n % 2 and org is not None
                ):  # a few databases' usage changes: rows made again by key
                    for i in range(1, 50):
                        org.databases[f"tenant-{i * 97:05d}"].usage["rows_read"] += 1
                before, requests = main.refresh_count, len(org.calls) if org else 0
                served.clear()
                t0 = time.perf_counter()
                main.refresh_now(manual=manual)
                while main.refresh_count == before:  # noqa: ASYNC110 (polling the app)
                    await asyncio.sleep(0.001)
                await pilot.pause()  # the repaint that follows
                samples.append(time.perf_counter() - t0)
                serving.append(sum(served))
                calls.append(len(org.calls) - requests if org else 0)
            what = (
                "full (ctrl+r: list, groups, org, usage, plan)"
                if manual
                else "timed (list, groups)"
            )
            print(
                f"refresh {what}, {N:,} databases, Databases pane updated and repainted: {ms(samples)}; "
                f"Platform API requests per refresh: {sorted(set(calls))}; of which the Databases pane's "
                f"show_snapshot (rows by key, filter/sort, table): {ms(pane_times)}"
                + (
                    f"; the fake Platform API building its answers (JSON encoding not counted): {ms(serving)}"
                    if org
                    else ""
                )
            )
    await app.services.platform.aclose()


class Repaints:
    """When the screen was last painted and when the fleet view last re-arranged its rows: a keystroke's
    latency is from the key being sent to the first paint after its rows were arranged (Pilot's own waiting,
    ~90 ms a key here, is not counted)."""

    def __init__(self, app: TursoApp) -> None:
        from tursotui.ui.widgets.fleet_view import FleetView

        self.paints: list[float] = []
        self.arranged: list[float] = []
        real_display = app._display
        real_apply = FleetView.apply

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.paints.append(time.perf_counter())
            real_display(screen, renderable)

        def apply(view: FleetView, *, refresh: bool = False) -> None:
            real_apply(view, refresh=refresh)
            self.arranged.append(time.perf_counter())

        app._display = display  # type: ignore[method-assign]
        FleetView.apply = apply  # type: ignore[method-assign,assignment]

    async def key(self, pilot: Any, key: str) -> float:
        before = len(self.arranged)
        t0 = time.perf_counter()
        await pilot.press(key)
        for _ in range(2000):
            if len(self.arranged) > before:
                done = self.arranged[-1]
                painted = [t for t in self.paints if t >= done]
                if painted:
                    return painted[0] - t0
            await asyncio.sleep(0.001)
        return float("nan")


async def filter_keys(text: str, platform: PlatformClient | None = None) -> None:
    app = make_app(fleet_org(N) if platform is None else None, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await first_refresh(pilot)
        repaints = Repaints(app)
        table = app.main.query_one("#databases-table")
        samples, shown = [], []
        for _ in range(5):
            await pilot.press("slash")
            for key in text:
                samples.append(await repaints.key(pilot, key))
                shown.append(table.row_count)  # type: ignore[attr-defined]
            await pilot.press("escape")
            await pilot.pause()
        print(
            f"filter keystroke → table repainted, {len(app.main.snapshot.databases) if app.main.snapshot else 0:,} databases, typing {text!r} (rows "
            f"{shown[0]:,} → {shown[len(text) - 1]:,}), 5 rounds: {ms(samples)}"
        )
        sorts = [await repaints.key(pilot, "s") for _ in range(12)]
        print(f"sort key (s) → table repainted, {N:,} databases: {ms(sorts)}")
    await app.services.platform.aclose()


async def soak(minutes: float) -> None:
    app = make_app(fleet_org(N), refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await first_refresh(pilot)
        start = time.perf_counter()
        samples = [(0.0, rss_mib(), app.main.refresh_count)]
        keys = ["slash", "1", "2", "escape", "s", "t", "space", "down", "2", "1"]
        n = 0
        while time.perf_counter() - start < minutes * 60:
            await pilot.pause(15 - (time.perf_counter() - start) % 15)
            await pilot.press(keys[n % len(keys)])  # a little operator activity between samples
            n += 1
            samples.append((time.perf_counter() - start, rss_mib(), app.main.refresh_count))
            at, rss, count = samples[-1]
            print(f"  {at:6.0f} s  RSS {rss:6.1f} MiB  refreshes {count}", flush=True)
    await app.services.platform.aclose()
    first_half = [r for t, r, _ in samples if t <= minutes * 30]
    second_half = [r for t, r, _ in samples if t > minutes * 30]
    print(
        f"soak, {N:,} databases, 1 s refresh, {minutes:g} min ({samples[-1][2]} refreshes): RSS start "
        f"{samples[0][1]:.1f} MiB, max {max(r for _, r, _ in samples):.1f} MiB, end {samples[-1][1]:.1f} MiB; "
        f"mean of the first half {statistics.mean(first_half):.1f}, second half "
        f"{statistics.mean(second_half or first_half):.1f} MiB (process RSS includes the fake org)"
    )


async def datatable() -> None:
    """The same 10,000 rows of cells in Textual's DataTable: what the pane did before it was virtualised."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tursotui.ops.fleet import fleet_rows
    from tursotui.platform import Database, UsageCounters
    from tursotui.ui.panes.databases_cells import DATABASE_COLUMNS, database_cells
    from tursotui.ui.widgets.fleet_table import FleetTable

    org = fleet_org(N)
    dbs = [Database.from_json(org.database_json(db)) for db in org.databases.values()]
    usage = {db.name: UsageCounters(**db.usage) for db in org.databases.values()}
    cells = [(row.name, database_cells(row)) for row in fleet_rows(dbs, usage)]

    class Bench(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(id="dt")
            yield FleetTable(DATABASE_COLUMNS, id="ft")

    app = Bench()
    async with app.run_test(size=SIZE) as pilot:
        dt: DataTable[str] = app.query_one("#dt", DataTable)
        ft = app.query_one("#ft", FleetTable)
        for column in DATABASE_COLUMNS:
            dt.add_column(column.label, key=column.key)
        for name, widget, fill in (
            ("DataTable.add_rows", dt, lambda rows: dt.add_rows(rows)),
            ("FleetTable.set_rows", ft, lambda rows: ft.set_rows(rows)),
        ):
            widget.display = True
            t0 = time.perf_counter()
            if widget is dt:
                fill([list(c) for _, c in cells])
            else:
                fill(cells)
            await pilot.pause()
            print(f"{name}, {N:,} rows, until painted: {(time.perf_counter() - t0) * 1000:.0f} ms")
        for needle in ("1", "12"):
            keep = [(k, c) for k, c in cells if needle in k]
            t0 = time.perf_counter()
            dt.clear()
            dt.add_rows([list(c) for _, c in keep])
            await pilot.pause()
            t1 = time.perf_counter()
            ft.set_rows(keep)
            await pilot.pause()
            t2 = time.perf_counter()
            print(
                f"a filter to {len(keep):,} rows: DataTable clear + add_rows {(t1 - t0) * 1000:.0f} ms, "
                f"FleetTable.set_rows {(t2 - t1) * 1000:.0f} ms"
            )
        keys = list(dt.rows)[:200]
        t0 = time.perf_counter()
        for key in keys:
            dt.remove_row(key)
        await pilot.pause()
        print(
            f"DataTable.remove_row × 200 (databases deleted): {(time.perf_counter() - t0) * 1000:.0f} ms"
        )


async def local(runs: int) -> None:
    from tursotui.local.host.service import LocalTurso

    root = Path(tempfile.gettempdir()) / "tursotui-fleet" / "local-turso"
    turso = LocalTurso(root, recovery_interval=0, quota_interval=0)
    t0 = time.perf_counter()
    await turso.start()
    print(f"local Turso on {root}: started in {time.perf_counter() - t0:.1f} s")
    try:
        await refresh(runs, turso.platform_client())
        await filter_keys("tenant-0012", turso.platform_client())
    finally:
        await turso.close()


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    arg = sys.argv[2] if len(sys.argv) > 2 else None
    if what in ("refresh", "all"):
        asyncio.run(refresh(int(arg) if arg and what == "refresh" else 10))
    if what in ("filter", "all"):
        asyncio.run(filter_keys(arg if arg and what == "filter" else "tenant-0012"))
    if what in ("datatable", "all"):
        asyncio.run(datatable())
    if what == "local":
        asyncio.run(local(int(arg) if arg else 5))
    if what in ("soak", "all"):
        asyncio.run(soak(float(arg) if arg and what == "soak" else 3.0))


if __name__ == "__main__":
    main()

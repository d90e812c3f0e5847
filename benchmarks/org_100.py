"""A local org of 100 databases with replicas: refresh time, idle CPU, keypress latency under load, soak.

Run by hand (never in CI):

    .venv/bin/python benchmarks/org_100.py refresh        # headless TursoApp: one full refresh, n=10
    .venv/bin/python benchmarks/org_100.py idle [SECONDS]  # the real console in a pty, refresh every 5 s
    .venv/bin/python benchmarks/org_100.py keys [PRESSES]  # keypress → repaint while refreshing every 1 s
    .venv/bin/python benchmarks/org_100.py soak [MINUTES]  # RSS every 15 s, refreshing every 1 s

The org (100 databases in group ``default``: primary sjc, replicas iad and fra → 300 instances) is built once
in ``$TMPDIR/tursotui-org100`` and reused. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ptyterm import Terminal, children, cpu_seconds, installed_like_env, rss_mib

from tursotui.config import update_config
from tursotui.local.host.service import LocalTurso

DATABASES = 100
REPLICAS = ("iad", "fra")
ROOT = Path(tempfile.gettempdir()) / "tursotui-org100"
DEMO = Path(tempfile.gettempdir()) / "tursotui-demo-org"
COLS, ROWS = 120, 36


def data_dir() -> Path:
    return ROOT / "data"


async def build_org() -> None:
    """100 databases with two replica locations (idempotent)."""
    async with LocalTurso(data_dir() / "local-turso") as turso:
        client = turso.platform_client()
        try:
            groups = {g.name for g in await client.list_groups()}
            if "default" not in groups:
                await client.create_group("default", "sjc")
            group = await client.get_group("default")
            for location in REPLICAS:
                if location not in group.locations:
                    await client.add_location("default", location)
            existing = {d.name for d in await client.list_databases()}
            for n in range(DATABASES):
                name = "xswarm-users" if n == 0 else f"tenant-{n:03d}"
                if name not in existing:
                    await client.create_database(name, "default")
            print(f"org: {len(await client.list_databases())} databases, replicas {REPLICAS}")
        finally:
            await client.aclose()


def console_env(refresh: float, root: Path) -> dict[str, str]:
    config = root / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    update_config(config, {"tursotui.refresh_interval_seconds": refresh})
    return installed_like_env(
        {
            "TURSOTUI_CONFIG": str(config),
            "TURSOTUI_ENV_FILE": str(root / ".env"),
            "TURSOTUI_DATA_DIR": str(root / "data"),
        }
    )


def start_console(refresh: float, root: Path = ROOT) -> Terminal:
    """The console on the 100-database org (or, with ``root=DEMO``, on the demo org it creates)."""
    env = console_env(refresh, root)
    args = os.environ.get(
        "CONSOLE_ARGS", "-m tursotui"
    ).split()  # e.g. a tracemalloc wrapper script
    term = Terminal.launch([sys.executable, *args], env, COLS, ROWS)
    shown = term.wait_for(b"tenant-0" if root == ROOT else b"xswarm-users", 180)
    if shown != shown:  # NaN: it never showed
        term.quit()
        raise SystemExit(
            "the console did not show the org: " + term.seen[-300:].decode(errors="replace")
        )
    term.drain()
    return term


async def refresh_benchmark(runs: int = 10, *, manual: bool = True) -> None:
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services, banner_text

    async with LocalTurso(data_dir() / "local-turso") as turso:
        services = Services(
            platform=turso.platform_client(),
            target="local",
            banner=banner_text("local", turso.organization),
            data_dir=ROOT / "bench-data",
            database_name="xswarm-users",
            refresh_interval=3600.0,
        )
        app = TursoApp(services)
        async with app.run_test(size=(COLS, ROWS)) as pilot:
            main = app.main
            while main.refresh_count < 1:
                await pilot.pause(0.01)
            samples = []
            for _ in range(runs):
                before = main.refresh_count
                start = time.perf_counter()
                main.refresh_now(manual=manual)  # manual (ctrl+r): org, usage and plan fetched too
                while main.refresh_count == before:  # noqa: ASYNC110 (polling the app, as a user would)
                    await asyncio.sleep(0.001)
                samples.append(time.perf_counter() - start)
            assert main.snapshot is not None
            shown = len(main.snapshot.databases)
        await services.platform.aclose()
    what = (
        "list, groups, org, usage, plan"
        if manual
        else "timed: list, groups (org, usage, plan each 60 s)"
    )
    print(
        f"refresh of {shown} databases (Platform API: {what}; table updated): "
        f"median {statistics.median(samples) * 1000:.0f} ms, "
        f"max {max(samples) * 1000:.0f} ms (n={runs})"
    )


def local_turso_pids(console: int) -> tuple[list[int], list[int]]:
    """The console's local Turso: its API process (``tursotui.local.host.child``) and its sqld."""
    api, sqld = [], []
    for pid in children(console):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        (api if b"tursotui.local.host.child" in argv else sqld).append(pid)
    return api, sqld


def idle_benchmark(seconds: float, root: Path) -> None:
    term = start_console(5.0, root)
    try:
        time.sleep(5)  # past start-up work
        api, sqlds = local_turso_pids(term.pid)
        cpu0 = cpu_seconds(term.pid)
        api0 = sum(cpu_seconds(p) for p in api)
        sql0 = sum(cpu_seconds(p) for p in sqlds)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            term.read(0.5)
        wall = time.perf_counter() - start
        used = cpu_seconds(term.pid) - cpu0
        api_used = sum(cpu_seconds(p) for p in api) - api0
        sql_used = sum(cpu_seconds(p) for p in sqlds) - sql0
    finally:
        term.quit()
    print(
        f"{'demo org' if root == DEMO else '100 databases'}, "
        f"idle at a 5 s refresh over {wall:.0f} s: console {used / wall * 100:.2f} % of one core; "
        f"local Turso API process {api_used / wall * 100:.2f} %; its {len(sqlds)} sqld "
        f"{sql_used / wall * 100:.2f} %"
    )


def keys_benchmark(presses: int) -> None:
    term = start_console(1.0)
    try:
        samples = []
        for n in range(presses):
            key = (
                b"\x1b[B" if n % 2 else b"\x1b[A"
            )  # down/up in the databases table: a repaint each
            samples.append(term.press(key))
            time.sleep(0.25)  # spread the presses over refreshes
            term.drain(quiet=0.05, limit=1)
        good = sorted(s for s in samples if s == s)
    finally:
        term.quit()
    p95 = good[int(len(good) * 0.95) - 1] if good else float("nan")
    print(
        f"keypress → repaint with a refresh of 100 databases every 1 s: median "
        f"{statistics.median(good) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(good) * 1000:.0f} ms "
        f"(n={len(good)}, {presses - len(good)} without a repaint)"
    )


def soak_benchmark(minutes: float, root: Path) -> None:
    term = start_console(1.0, root)
    api, _ = local_turso_pids(term.pid)
    samples: list[tuple[float, float, float]] = []
    try:
        start = time.perf_counter()
        next_sample = start
        while time.perf_counter() - start < minutes * 60:
            if time.perf_counter() >= next_sample:
                rss = rss_mib(term.pid)
                if rss != rss:  # NaN: no VmRSS, the console has exited
                    tail = term.seen[-300:].decode(errors="replace")
                    raise SystemExit(f"the console exited during the soak: {tail}")
                api_rss = sum(rss_mib(p) for p in api)
                samples.append((time.perf_counter() - start, rss, api_rss))
                next_sample += 15
                term.press(b"2" if len(samples) % 2 else b"1")  # switch tabs now and then
            term.read(0.5)
    finally:
        term.quit()
    for label, column in (("console", 1), ("local Turso API process", 2)):
        series = [(s[0], s[column]) for s in samples]
        first_minute = [rss for at, rss in series if at <= 60]
        last_minute = [rss for at, rss in series if at >= series[-1][0] - 60]
        print(
            f"{label} RSS MiB over time:",
            ", ".join(f"{at / 60:.1f}m {rss:.0f}" for at, rss in series),
        )
        print(
            f"{label}: soak {minutes:g} min ({'demo org' if root == DEMO else '100 databases'}), "
            f"refresh every 1 s: RSS first minute max {max(first_minute):.1f} MiB, "
            f"last minute max {max(last_minute):.1f} MiB, peak {max(r for _, r in series):.1f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["refresh", "idle", "keys", "soak"])
    parser.add_argument("amount", type=float, nargs="?")
    parser.add_argument(
        "--demo", action="store_true", help="idle/soak: the 1-database demo org instead"
    )
    parser.add_argument(
        "--timed", action="store_true", help="refresh: the timer's refresh instead of ctrl+r"
    )
    args = parser.parse_args()
    if args.demo:
        DEMO.mkdir(exist_ok=True)
        if args.what == "soak":
            soak_benchmark(args.amount or 10, DEMO)
        else:
            idle_benchmark(args.amount or 60, DEMO)
        return
    ROOT.mkdir(exist_ok=True)
    asyncio.run(build_org())
    if args.what == "refresh":
        asyncio.run(refresh_benchmark(manual=not args.timed))
    elif args.what == "idle":
        idle_benchmark(args.amount or 60, ROOT)
    elif args.what == "keys":
        keys_benchmark(int(args.amount or 60))
    else:
        soak_benchmark(args.amount or 10, ROOT)


if __name__ == "__main__":
    main()

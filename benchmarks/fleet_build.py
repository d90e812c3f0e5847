"""A local Turso holding a fleet of N tenant databases (issue 15): build, restart, latency, memory, fds.

Run by hand (never in CI):

    .venv/bin/python benchmarks/fleet_build.py build [N]     # build (or complete) the fleet, N=10000
    .venv/bin/python benchmarks/fleet_build.py restart       # start → serving, n=5
    .venv/bin/python benchmarks/fleet_build.py latency       # list pages, org usage, token mints, queries
    .venv/bin/python benchmarks/fleet_build.py sweep         # every tenant queried once, 4 in flight; idle CPU
    .venv/bin/python benchmarks/fleet_build.py all [N]       # build, restart, latency, in one run

The fleet lives in ``$TMPDIR/tursotui-fleet/local-turso`` (``--data-dir`` to change) and is reused; ``tursotui
--data-dir $TMPDIR/tursotui-fleet local serve`` serves it to a console or the CLI. "Serving" means the
Platform API answers, every database's listener is bound and a query through a tenant's URL with its token
answers. RSS and fds are this process's (the local Turso in-process) and the primary sqld's, from /proc.
Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tursotui.local.control import binding
from tursotui.local.host.fleet import build_fleet, tenant_name
from tursotui.local.host.service import LocalTurso

ROOT = Path(tempfile.gettempdir()) / "tursotui-fleet" / "local-turso"
"""The local Turso's data dir: ``tursotui --data-dir $TMPDIR/tursotui-fleet local serve`` serves it."""
SELECT = {
    "requests": [
        {"type": "execute", "stmt": {"sql": "SELECT count(*) FROM users"}},
        {"type": "close"},
    ]
}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def footprint(turso: LocalTurso, label: str) -> None:
    sqld = turso.cp.dataplane.primary.process.pid or 0
    print(
        f"{label}: local Turso RSS {rss_mib(os.getpid()):.0f} MiB, {fds(os.getpid()):,} fds; "
        f"primary sqld RSS {rss_mib(sqld):.0f} MiB, {fds(sqld):,} fds"
    )


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1] if len(ordered) >= 10 else ordered[-1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms (n={len(ordered)})"


async def build(data_dir: Path, count: int) -> None:
    turso = LocalTurso(data_dir, recovery_interval=0, quota_interval=0)
    await turso.start()
    try:
        report = await build_fleet(turso, count, progress=print)
        print(report.describe())
        if report.created:
            print(f"  {report.seconds / report.created * 1000:.1f} ms per created database")
        footprint(turso, "after the build")
    finally:
        started = time.monotonic()
        await turso.close()
        print(f"stop: {time.monotonic() - started:.2f} s")


async def _query(http: httpx.AsyncClient, url: str, token: str) -> float:
    started = time.perf_counter()
    answer = await http.post(
        f"{url}/v2/pipeline", json=SELECT, headers={"Authorization": f"Bearer {token}"}
    )
    answer.raise_for_status()
    return time.perf_counter() - started


async def restart(data_dir: Path, runs: int = 5) -> None:
    api, bound, served = [], [], []
    for _ in range(runs):
        started = time.monotonic()
        turso = LocalTurso(data_dir, recovery_interval=0, quota_interval=0)
        await turso.start()
        api.append(time.monotonic() - started)
        try:
            client = turso.platform_client()
            name = tenant_name(random.randrange(len(turso.cp.state.databases) - 1))
            url = (await client.get_database(name)).url  # bound out of turn if not yet
            token = (await client.create_database_token(name)).jwt
            async with httpx.AsyncClient() as http:
                await _query(http, url, token)
            served.append(time.monotonic() - started)
            if turso.cp.binder.task is not None:
                await turso.cp.binder.task
            bound.append(time.monotonic() - started)
            await client.aclose()
            footprint(turso, "serving")
        finally:
            await turso.close()
    print(f"start → Platform API answers: {ms(api)}")
    print(f"start → a random tenant's first query answered: {ms(served)}")
    print(f"start → every listener bound: {ms(bound)}")


async def latency(data_dir: Path) -> None:
    turso = LocalTurso(data_dir, recovery_interval=0, quota_interval=0)
    await turso.start()
    client = turso.platform_client()
    try:
        if turso.cp.binder.task is not None:
            await turso.cp.binder.task
        count = len(turso.cp.state.databases)
        pages: list[float] = []
        cursor: str | None = None
        walked = 0
        started = time.perf_counter()
        api = httpx.AsyncClient(
            transport=turso.transport(),
            base_url="http://local-turso.invalid",
            headers={"Authorization": f"Bearer {turso.api_token}"},
        )
        while True:
            t = time.perf_counter()
            answer = await api.get(
                f"/v1/organizations/{turso.organization}/databases",
                params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
            )
            pages.append(time.perf_counter() - t)
            body = answer.json()
            walked += len(body["databases"])
            cursor = body["pagination"]["next"]
            if not cursor:
                break
        await api.aclose()
        print(
            f"list, pages of 1,000: {ms(pages)}; all {walked:,} in {time.perf_counter() - started:.2f} s"
        )
        t = time.perf_counter()
        await client.list_databases()
        print(f"list, all {count:,} in one answer: {(time.perf_counter() - t) * 1000:.0f} ms")
        usage = []
        for _ in range(5):
            t = time.perf_counter()
            await client.organization_usage()
            usage.append(time.perf_counter() - t)
        print(f"organization usage (every database): {ms(usage)}")
        names = [tenant_name(random.randrange(count - 1)) for _ in range(200)]
        mints = []
        tokens = {}
        for name in names:
            t = time.perf_counter()
            tokens[name] = (await client.create_database_token(name)).jwt
            mints.append(time.perf_counter() - t)
        print(f"database token mint: {ms(mints)}")
        db_usage = []
        for name in names[:50]:
            t = time.perf_counter()
            await client.database_usage(name)
            db_usage.append(time.perf_counter() - t)
        print(f"database usage: {ms(db_usage)}")
        urls = {name: (await client.get_database(name)).url for name in names}
        async with httpx.AsyncClient() as http:
            cold = [await _query(http, urls[n], tokens[n]) for n in names]
            warm = [await _query(http, urls[n], tokens[n]) for n in names]
        retried = sum(p.evictions_retried for p in turso.cp.dataplane.proxies.values())
        print(f"first query of 200 random tenants (cold): {ms(cold)}; again (warm): {ms(warm)}")
        print(f"eviction 404s replayed by the proxies: {retried}")
        t = time.perf_counter()
        await client.create_database("fleet-extra", "fleet-1")
        created = time.perf_counter() - t
        t = time.perf_counter()
        await client.delete_database("fleet-extra")
        print(
            f"create at {count:,}: {created * 1000:.0f} ms; delete: {(time.perf_counter() - t) * 1000:.0f} ms"
        )
        footprint(turso, "after the latency run")
    finally:
        await client.aclose()
        await turso.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sweep(data_dir: Path, idle: float = 20.0) -> None:
    """Every tenant once through its URL (a group token each), 4 in flight: sqld's cache (1,000) is passed
    ten times over, so it evicts all along; then the local Turso's idle CPU with every listener open."""
    turso = LocalTurso(data_dir, recovery_interval=0, quota_interval=0)
    await turso.start()
    client = turso.platform_client()
    try:
        if turso.cp.binder.task is not None:
            await turso.cp.binder.task
        cp = turso.cp
        groups = sorted(cp.state.groups)
        tokens = {g: (await client.create_group_token(g)).jwt for g in groups}
        await client.aclose()
        slots = asyncio.Semaphore(4)
        times: list[float] = []
        failures: list[str] = []

        async def one(http: httpx.AsyncClient, name: str) -> None:
            db = cp.state.databases[name]
            async with slots:
                try:
                    times.append(
                        await _query(http, f"http://127.0.0.1:{db.port}", tokens[db.group])
                    )
                except httpx.HTTPError as exc:
                    failures.append(f"{name}: {exc}")

        started = time.monotonic()
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            names = [n for n in cp.state.databases if n.startswith("tenant-")]
            await asyncio.gather(*(one(http, n) for n in names))
        retried = sum(p.evictions_retried for p in cp.dataplane.proxies.values())
        print(
            f"sweep of {len(names):,} tenants in {time.monotonic() - started:.1f} s: {ms(times)}; "
            f"{len(failures)} failed; {retried} eviction 404s replayed by the proxies"
        )
        for failure in failures[:5]:
            print("  ", failure)
        footprint(turso, "after the sweep")
        before = cpu_seconds(os.getpid())
        await asyncio.sleep(idle)
        used = cpu_seconds(os.getpid()) - before
        print(
            f"idle CPU of the local Turso over {idle:.0f} s: {used / idle * 100:.1f} % of one core"
        )
    finally:
        await turso.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("what", choices=("build", "restart", "latency", "sweep", "all"))
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT)
    args = parser.parse_args()
    print(f"fleet in {args.data_dir} (background binding from {binding.BACKGROUND_FROM} databases)")
    if args.what in ("build", "all"):
        asyncio.run(build(args.data_dir, args.count))
    if args.what in ("restart", "all"):
        asyncio.run(restart(args.data_dir))
    if args.what in ("latency", "all"):
        asyncio.run(latency(args.data_dir))
    if args.what == "sweep":
        asyncio.run(sweep(args.data_dir))


if __name__ == "__main__":
    sys.exit(main())

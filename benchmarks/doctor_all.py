"""``doctor --all`` across a local fleet: wall time, databases per second, Platform API requests, peak RSS.

Run by hand (never in CI):

    .venv/bin/python benchmarks/doctor_all.py [DATABASES] [--concurrency N ...]

Builds DATABASES (default 300) databases over 4 groups on a fresh local Turso in a temp dir (every tenth one
given the seed's schema, so its index check runs over SQL; the others have no users table), then runs
``tursotui.ops.doctor.fleet.run_fleet`` once per concurrency (default 4, 8, 16), each after a warm-up run, and
prints one line per run. The Platform API requests are counted on the client's transport.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tursotui.libsql import HranaClient
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.doctor import DoctorInputs
from tursotui.ops.doctor.fleet import run_fleet
from tursotui.ops.latency import HttpLatencyProbe
from tursotui.platform import PlatformClient
from tursotui.support.xswarm import SCHEMA

sys.path.insert(0, str(Path(__file__).parent))
from counting import Counting

GROUPS = ("g1", "g2", "g3", "g4")


async def build(turso: LocalTurso, count: int) -> None:
    platform = turso.platform_client(max_retries=0)
    try:
        for group in GROUPS:
            await platform.create_group(group, "sjc")
        started = time.perf_counter()
        for n in range(count):
            name = f"tenant-{n:05d}"
            await platform.create_database(name, GROUPS[n % len(GROUPS)])
            if n % 10 == 0:
                db = await platform.get_database(name)
                token = (await platform.create_database_token(name)).jwt
                async with HranaClient(db.url, token) as sql:
                    await sql.batch(list(SCHEMA))
        print(f"built {count} databases in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        await platform.aclose()


async def main(count: int, concurrencies: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        turso = await LocalTurso(Path(tmp) / "org", recovery_interval=0).start()
        try:
            await build(turso, count)
            counting = Counting(turso.transport())
            platform = PlatformClient(
                turso.api_token,
                organization=turso.organization,
                base_url=IN_PROCESS_BASE_URL,
                transport=counting,
                max_retries=0,
            )
            async with httpx.AsyncClient(timeout=3.0) as http:
                inputs = DoctorInputs(
                    platform=platform, probe=HttpLatencyProbe(http), local=True, target="local"
                )
                await run_fleet(inputs, concurrency=8)  # warm-up: every sqld namespace opened once
                for concurrency in concurrencies:
                    before = counting.requests
                    started = time.perf_counter()
                    report = await run_fleet(inputs, concurrency=concurrency)
                    took = time.perf_counter() - started
                    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                    print(
                        f"databases={report.databases} concurrency={concurrency} "
                        f"time={took:.2f}s rate={report.databases / took:.0f}/s "
                        f"platform_requests={counting.requests - before} peak_rss={rss:.0f}MiB"
                    )
            await platform.aclose()
        finally:
            await turso.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", type=int, nargs="?", default=300)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[4, 8, 16])
    options = parser.parse_args()
    asyncio.run(main(options.databases, options.concurrency))

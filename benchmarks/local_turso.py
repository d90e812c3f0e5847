"""Local Turso operation timings (run by hand: `.venv/bin/python benchmarks/local_turso.py`).

Measures, against real sqld: create database, add location, usage call, token mint, and the
restore of a ~100 MB database compared with `cp` of the same file. Results: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso
from tursotui.platform import Seed


async def timed(label: str, fn: Callable[[int], Awaitable[object]], runs: int) -> None:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        await fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:42s} median {statistics.median(samples):8.1f} ms   max {max(samples):8.1f} ms  (n={runs})"
    )


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="tursotui-bench-"))
    try:
        async with LocalTurso(root / "org", recovery_interval=0) as turso:
            client = turso.platform_client()
            await client.create_group("default", "sjc")
            await timed(
                "create database", lambda i: client.create_database(f"db-{i}", "default"), 20
            )
            await timed("database token mint", lambda i: client.create_database_token("db-0"), 50)
            await timed("database usage", lambda i: client.database_usage("db-0"), 50)
            await timed(
                "organization usage (20 databases)", lambda i: client.organization_usage(), 10
            )
            locations = ["iad", "fra", "lhr", "nrt", "syd"]
            await timed(
                "add location (20 databases in the group)",
                lambda i: client.add_location("default", locations[i]),
                len(locations),
            )

            created = await client.create_database("big", "default")
            token = (await client.create_database_token("big")).jwt
            async with HranaClient(created.url, token, timeout=600) as sql:
                await sql.execute("create table items(id integer primary key, payload text)")
                for k in range(10):
                    await sql.execute(
                        "insert into items(payload) select hex(randomblob(100)) "
                        f"from generate_series({k * 45_000 + 1}, {(k + 1) * 45_000})"
                    )
            source = turso.cp.namespace_file("big")
            size_mb = (source.stat().st_size + source.with_name("data-wal").stat().st_size) / 1e6
            point_start = time.perf_counter()
            await turso.pitr.take("big")
            point_ms = (time.perf_counter() - point_start) * 1000
            await asyncio.sleep(1.1)
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            start = time.perf_counter()
            await client.create_database("big-restored", "default", seed=Seed.restore("big", stamp))
            restore_ms = (time.perf_counter() - start) * 1000
            copy_target = root / "copy.db"
            start = time.perf_counter()
            subprocess.run(["cp", str(source), str(copy_target)], check=True)
            cp_ms = (time.perf_counter() - start) * 1000
            print(f"recovery point of {size_mb:.0f} MB database        {point_ms:8.1f} ms")
            print(f"restore of that database (new database)   {restore_ms:8.1f} ms")
            print(f"cp of the same file                       {cp_ms:8.1f} ms")
            await client.aclose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

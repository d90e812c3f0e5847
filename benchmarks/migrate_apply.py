"""``migrate apply`` across a local fleet: a 3-statement migration applied to DATABASES tenants — wall time,
databases per second, Platform API and SQL requests per database, peak RSS.

Run by hand (never in CI):

    .venv/bin/python benchmarks/migrate_apply.py [DATABASES] [--concurrency N ...]

Builds DATABASES (default 1,000) tenants with the seed's schema on a fresh local Turso in a temp dir (the local
Turso's bulk fleet builder, ``tursotui.local.host.fleet.build_fleet``), then per concurrency (default 8, 16, 32)
adds migration k to the folder — ``ALTER TABLE users ADD COLUMN plan_k``, ``CREATE INDEX``, ``CREATE TABLE
audit_k`` — and runs ``tursotui.ops.migrate.run.fleet_apply`` over every tenant (listed with the fleet filter
from the Platform API's pages), exactly what ``tursotui migrate apply --filter tenant-`` does. Each run is
followed by a rerun that finds everything applied (the cost of resuming a finished run). Platform API requests
are counted on the client's transport, SQL requests on the one HTTP pool every database's SQL goes through.
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

from tursotui.local.host.fleet import build_fleet
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.group_tokens import SQL_TIMEOUT, GroupTokens
from tursotui.ops.migrate.files import load_migrations
from tursotui.ops.migrate.fleet import list_targets
from tursotui.ops.migrate.run import Sql, fleet_apply
from tursotui.platform import PlatformClient

sys.path.insert(0, str(Path(__file__).parent))
from counting import Counting


def migration(k: int) -> str:
    return (
        f"ALTER TABLE users ADD COLUMN plan_{k} TEXT DEFAULT 'free';\n"
        f"CREATE INDEX idx_users_plan_{k} ON users(plan_{k});\n"
        f"CREATE TABLE audit_{k} (id INTEGER PRIMARY KEY, at TEXT NOT NULL, what TEXT);\n"
    )


async def one_run(turso: LocalTurso, folder: Path, concurrency: int, count: int) -> tuple[str, str]:
    api = Counting(turso.transport())
    sql_transport = Counting(httpx.AsyncHTTPTransport())
    platform = PlatformClient(
        turso.api_token,
        organization=turso.organization,
        base_url=IN_PROCESS_BASE_URL,
        transport=api,
        max_retries=0,
    )
    migrations = load_migrations(folder)
    try:
        async with httpx.AsyncClient(transport=sql_transport, timeout=SQL_TIMEOUT) as http:
            started = time.perf_counter()
            targets = await list_targets(platform, filter_text="tenant-")
            sql = Sql(GroupTokens(platform, "full-access"), http)
            report = await fleet_apply(sql, targets, migrations, concurrency=concurrency)
            seconds = time.perf_counter() - started
            first = (api.requests, sql_transport.requests)
            again = time.perf_counter()
            rerun = await fleet_apply(sql, targets, migrations, concurrency=concurrency)
            resumed = time.perf_counter() - again
    finally:
        await platform.aclose()
    assert len(targets) == count, len(targets)
    assert report.counts["applied"] == count, report.counts
    assert rerun.counts["up-to-date"] == count, rerun.counts
    api_first, sql_first = first
    line = (
        f"concurrency {concurrency:>2}: {count:,} databases in {seconds:.1f} s "
        f"({count / seconds:.0f}/s); Platform API {api_first} requests "
        f"({api_first / count:.3f}/db); SQL {sql_first} requests ({sql_first / count:.2f}/db)"
    )
    rerun_sql = sql_transport.requests - sql_first
    again_line = (
        f"             rerun (all applied): {resumed:.1f} s ({count / resumed:.0f}/s); "
        f"SQL {rerun_sql} requests ({rerun_sql / count:.2f}/db)"
    )
    return line, again_line


async def main(count: int, concurrencies: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="migrate-bench-") as tmp:
        root = Path(tmp)
        folder = root / "migrations"
        folder.mkdir()
        turso = LocalTurso(root / "local", recovery_interval=0, quota_interval=0)
        await turso.start()
        try:
            started = time.perf_counter()
            built = await build_fleet(turso, count)
            print(f"{built.describe()} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
            for k, concurrency in enumerate(concurrencies, start=1):
                (folder / f"{k:04d}_plan_{k}.sql").write_text(migration(k))
                for line in await one_run(turso, folder, concurrency, count):
                    print(line, flush=True)
        finally:
            await turso.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (local Turso included, sqld not): {peak:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("databases", nargs="?", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16, 32])
    options = parser.parse_args()
    asyncio.run(main(options.databases, options.concurrency))

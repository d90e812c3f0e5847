"""Verified backup of a 1,000,000-row users table (run by hand: `.venv/bin/python benchmarks/backup_1m.py`).

Builds the xSwarm guide's schema on the local Turso (real sqld), fills `users` with 1M rows
server-side (a recursive CTE), then times `tursotui.ops.backup.backup_database` to `.sql` and to
`.db` (stream `GET /dump` → temp file → load into a scratch SQLite → integrity_check → row counts
compared with the database → rename), and reports the peak RSS of this process (the dump is
streamed, never held in memory). Results: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso
from tursotui.ops.backup import BackupProgress, backup_database
from tursotui.support.xswarm import SCHEMA

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
FILL = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
INSERT INTO users (id, email, phone, xswarm_email, xswarm_phone, subscription_tier, persona,
                   wake_word, stripe_customer_id, stripe_subscription_id)
SELECT printf('user-%07d', i), printf('user%d@example.com', i), printf('+1555%07d', i),
       printf('user%d@xswarm.ai', i), CASE WHEN i % 3 = 0 THEN printf('+1800%07d', i) END,
       CASE i % 4 WHEN 0 THEN 'free' WHEN 1 THEN 'premium' WHEN 2 THEN 'pro' ELSE 'enterprise' END,
       'hal-9000', 'hey hal',
       CASE WHEN i % 2 = 0 THEN printf('cus_%014d', i) END,
       CASE WHEN i % 2 = 0 THEN printf('sub_%014d', i) END
FROM n
"""


class PhaseTimer:
    """Progress callback: seconds per phase (counting, dumping, verifying = loading the dump into
    the scratch SQLite, integrity+counts, finishing)."""

    def __init__(self) -> None:
        self.started = self.mark = time.perf_counter()
        self.phase = "start"
        self.phases: dict[str, float] = {}

    def __call__(self, progress: BackupProgress) -> None:
        if progress.phase != self.phase:
            self._close()
            self.phase = progress.phase
        if progress.phase == "verifying" and progress.done == progress.total:
            self._close()  # the dump is loaded: what follows is integrity_check and counts
            self.phase = "integrity+counts"

    def _close(self) -> None:
        now = time.perf_counter()
        self.phases[self.phase] = self.phases.get(self.phase, 0.0) + now - self.mark
        self.mark = now

    def stop(self) -> float:
        self._close()
        return time.perf_counter() - self.started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="tursotui-bench-backup-"))
    try:
        async with LocalTurso(root / "org", recovery_interval=0) as turso:
            platform = turso.platform_client()
            await platform.create_group("default", "sjc")
            created = await platform.create_database("xswarm-users", "default")
            token = (await platform.create_database_token("xswarm-users")).jwt
            async with HranaClient(created.url, token, timeout=1800) as sql:
                await sql.batch(list(SCHEMA))
                started = time.perf_counter()
                await sql.execute(FILL)
                fill = time.perf_counter() - started
                size = turso.cp.namespace_file("xswarm-users").stat().st_size
                print(
                    f"filled {ROWS:,} users in {fill:.1f} s (database file {size / 2**20:.0f} MiB)"
                )
                print(f"peak RSS before backups: {peak_rss_mb():.0f} MiB")
                started = time.perf_counter()
                raw = 0
                async for chunk in sql.dump():
                    raw += len(chunk)
                took = time.perf_counter() - started
                print(f"raw GET /dump, discarded: {raw / 2**20:.0f} MiB in {took:.1f} s")
                for fmt in ("sql", "db"):
                    timer = PhaseTimer()
                    target = root / "backups" / f"xswarm-users-bench.{fmt}"
                    result = await backup_database(
                        sql, target, database="xswarm-users", fmt=fmt, progress=timer
                    )
                    took = timer.stop()
                    rate = result.dump_bytes / 2**20 / took
                    print(
                        f"backup .{fmt}: {took:.1f} s total, dump {result.dump_bytes / 2**20:.0f} MiB "
                        f"({rate:.0f} MiB/s end to end), file {result.size_bytes / 2**20:.0f} MiB, "
                        f"rows verified {result.tables}"
                    )
                    print(
                        "   by phase: "
                        + ", ".join(f"{k} {v:.1f} s" for k, v in timer.phases.items())
                    )
                    print(f"   peak RSS so far: {peak_rss_mb():.0f} MiB")
            await platform.aclose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

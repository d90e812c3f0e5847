"""The token ledger with thousands of entries: what a bulk mint's bookkeeping costs.

Run by hand (never in CI):

    .venv/bin/python benchmarks/ledger.py [N ...]     # default: 1000 2000 10000

For each N, in one run and in a fresh temp dir each: N entries' metadata (``entry_for`` of a made-up JWT per
database, as ``mint_item`` records them) written with ``TokenLedger.record`` (the ledger rewritten for each:
how every mint was recorded before the journal) and with ``TokenLedger.append`` (a line in the journal, folded
into the ledger once as large as it) then ``compact`` (the fold at the end of a bulk mint); then
``entries()`` read back. ``record`` is skipped above RECORD_MAX entries (``RECORD_MAX=…`` in the environment;
its time grows with N², the largest N measured shows how). Each fsync is real: the file system is named.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tursotui.ops.tokens import LedgerEntry, TokenLedger, entry_for

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
RECORD_MAX = int(os.environ.get("RECORD_MAX", "2000"))


def entries(n: int) -> list[LedgerEntry]:
    return [
        entry_for(
            f"eyJhbGciOiJFZERTQSJ9.eyJhIjoicm8ifQ.sig-{i}",
            scope="database",
            database=f"tenant-{i:05d}",
            group="prod-eu",
            organization="acme",
            target="local",
            now=NOW,
            authorization="read-only",
        )
        for i in range(n)
    ]


def timed(n: int, how: str) -> tuple[float, float, int]:
    """Seconds to write ``n`` entries ``how``, seconds to read them back, entries read."""
    made = entries(n)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as folder:
        ledger = TokenLedger(Path(folder) / "token-ledger.json")
        t0 = time.perf_counter()
        if how == "record":
            for entry in made:
                ledger.record(entry, now=NOW)
        else:
            for entry in made:
                ledger.append(entry, now=NOW)
            ledger.compact(now=NOW)
        wrote = time.perf_counter() - t0
        t0 = time.perf_counter()
        count = len(ledger.entries())
        return wrote, time.perf_counter() - t0, count


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 2000, 10000]
    fs = subprocess.run(
        ["df", "-T", tempfile.gettempdir()], capture_output=True, text=True, check=False
    ).stdout.splitlines()[-1:]
    print(f"temp dir {tempfile.gettempdir()} ({' '.join(fs[0].split()[:2]) if fs else '?'})")
    has_append = hasattr(TokenLedger, "append")
    for n in sizes:
        for how in ("record", "append"):
            if how == "record" and n > RECORD_MAX:
                print(f"{n:>6,} entries, record per entry: skipped (above RECORD_MAX={RECORD_MAX})")
                continue
            if how == "append" and not has_append:
                print(f"{n:>6,} entries, append: not in this tree")
                continue
            wrote, read, count = timed(n, how)
            what = "record per entry" if how == "record" else "append + compact"
            print(
                f"{n:>6,} entries, {what}: {wrote:8.2f} s ({wrote / n * 1000:.2f} ms an entry); "
                f"entries() {read * 1000:.0f} ms, {count:,} read"
            )


if __name__ == "__main__":
    main()

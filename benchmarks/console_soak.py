"""The console's memory over a long run on the 10,000-database local Turso, in a real terminal (run by hand).

    .venv/bin/python benchmarks/fleet_build.py build            # once: the fleet in $TMPDIR/tursotui-fleet
    .venv/bin/python benchmarks/console_soak.py [MINUTES] [--every SECONDS] [--data-dir DIR]

Launches `tursotui` in a pty (120×36) on the fleet's data dir with ``refresh_interval_seconds = 1`` in a config of
its own: the console starts the local Turso in its child process (or attaches to a `local serve` already
serving that data dir), shows the 10,000 databases and refreshes every second for MINUTES (default 10). Every
``--every`` seconds (default 15) it samples the console process's RSS from /proc (the local Turso's process is
another one, not counted) and the refreshes seen so far (the banner's ``last HH:MM:SS``). The terminal output is
read all along, as a terminal would. Target (issue 15): <= 150 MiB after 10 minutes, and flat.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ptyterm import Terminal, installed_like_env, rss_mib

FLEET = Path(tempfile.gettempdir()) / "tursotui-fleet"
LAST = re.compile(rb"last (\d\d:\d\d:\d\d)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("minutes", type=float, nargs="?", default=10.0)
    parser.add_argument("--every", type=float, default=15.0)
    parser.add_argument("--data-dir", type=Path, default=FLEET)
    args = parser.parse_args()
    if not (args.data_dir / "local-turso").is_dir():
        raise SystemExit(f"no fleet in {args.data_dir}: run benchmarks/fleet_build.py build first")
    root = Path(tempfile.mkdtemp(prefix="tursotui-soak-"))
    config = root / "config.toml"
    config.write_text("[tursotui]\nrefresh_interval_seconds = 1\n", encoding="utf-8")
    env = installed_like_env(
        {
            "TURSOTUI_CONFIG": str(config),
            "TURSOTUI_ENV_FILE": str(root / ".env"),
            "TURSOTUI_DATA_DIR": str(args.data_dir),
        }
    )
    term = Terminal.launch([sys.executable, "-m", "tursotui", "--target", "local"], env, 120, 36)
    seen: set[bytes] = set()
    samples: list[tuple[float, float, int]] = []
    try:
        shown = term.wait_for(b"tenant-", 120)
        if shown != shown:
            raise SystemExit("the console did not show the fleet within 120 s")
        print(f"fleet shown after {shown:.1f} s", flush=True)
        started = time.perf_counter()
        next_sample = started
        end = started + args.minutes * 60
        while True:
            now = time.perf_counter()
            if now >= next_sample:
                samples.append((now - started, rss_mib(term.pid), len(seen)))
                elapsed, rss, refreshes = samples[-1]
                print(
                    f"{elapsed:7.0f} s  RSS {rss:6.1f} MiB  refreshes seen {refreshes}", flush=True
                )
                next_sample += args.every
            if now >= end:
                break
            seen.update(LAST.findall(term.read(min(0.2, max(0.0, next_sample - now)))))
    finally:
        term.quit(b"q")
    last_minutes = [rss for elapsed, rss, _ in samples if elapsed >= (args.minutes - 2) * 60]
    print(
        f"peak {max(r for _, r, _ in samples):.1f} MiB; last 2 minutes "
        f"{min(last_minutes):.1f}–{max(last_minutes):.1f} MiB; refreshes seen {samples[-1][2]}"
    )


if __name__ == "__main__":
    main()

"""Cold start to the first frame with live data (run by hand: `.venv/bin/python benchmarks/cold_start.py [RUNS]`).

Launches `python -m tursotui` in a real pty at 120×36 against a local org in a temp dir (created by a first,
untimed run), and times from just before the launch until the `xswarm-users` row (from the Platform API) is in
the terminal output. Then sends `q` and waits for the exit. With `--harlequin PATH`, also times harlequin (from
the venv at PATH) opening a SQLite file in the same pty until it says "Database Connected" (its catalog loaded),
in the same run for comparison. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ptyterm import Terminal, installed_like_env

COLS, ROWS = 120, 36
CONNECTED = b"Database Connected"
"""harlequin's notice once its catalog of the database is loaded (its first frame with live data)."""


def launch(
    argv: list[str], env: dict[str, str], marker: bytes, timeout: float, quit_key: bytes = b"q"
) -> float:
    term = Terminal.launch(argv, env, COLS, ROWS)
    try:
        elapsed = term.wait_for(marker, timeout)
        if elapsed != elapsed:
            print("no live data; last output:", term.seen[-400:].decode(errors="replace"))
    finally:
        term.quit(quit_key)
    return elapsed


def report(label: str, samples: list[float]) -> None:
    good = [s for s in samples if s == s]
    print(f"{label} runs:", ", ".join(f"{s:.3f}" for s in samples))
    if good:
        print(
            f"{label} at {COLS}x{ROWS}: median {statistics.median(good):.3f} s, "
            f"min {min(good):.3f} s, max {max(good):.3f} s (n={len(good)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=5)
    parser.add_argument("--harlequin", type=Path, help="a venv with harlequin installed")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tursotui-cold-"))
    env = installed_like_env(
        {
            "TURSOTUI_CONFIG": str(root / "config.toml"),
            "TURSOTUI_ENV_FILE": str(root / ".env"),
            "TURSOTUI_DATA_DIR": str(root / "data"),
        }
    )
    (root / "config.toml").write_text("", encoding="utf-8")
    ours = [sys.executable, *os.environ.get("COLD_ARGS", "-m tursotui").split()]
    try:
        first = launch(ours, env, b"xswarm-users", timeout=180)
        print(f"first run (creates the local demo org): {first:.2f} s")
        samples = [launch(ours, env, b"xswarm-users", timeout=60) for _ in range(args.runs)]
        report("tursotui cold start to live data", samples)
        if args.harlequin is not None:
            db = root / "users.db"
            with sqlite3.connect(db) as conn:
                conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT)")
            theirs = [str(args.harlequin / "bin" / "harlequin"), "-a", "sqlite", str(db)]
            ctrl_q = b"\x11"  # harlequin quits on ctrl+q
            launch(theirs, env, CONNECTED, timeout=120, quit_key=ctrl_q)  # first run: its caches
            samples = [
                launch(theirs, env, CONNECTED, timeout=60, quit_key=ctrl_q)
                for _ in range(args.runs)
            ]
            report("harlequin cold start to its catalog", samples)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Cold start to the first frame with live data (run by hand: `.venv/bin/python benchmarks/cold_start.py [RUNS]`).

Launches `python -m tursotui` in a real pty at 120×36 against a local org in a temp dir (created by a first,
untimed run), and times from just before the launch until the `xswarm-users` row (from the Platform API) is in
the terminal output. Then sends `q` and waits for the exit. With `--harlequin PATH`, also times harlequin (from
the venv at PATH) opening a SQLite file in the same pty until it says "Database Connected" (its catalog loaded),
in the same run for comparison. With `--baseline SRC` (a checkout of another commit, e.g. `git worktree add
/tmp/base <rev>`), launches alternate between this tree and SRC (`PYTHONPATH=SRC`, its own org in its own temp dir),
so both see the same machine. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import compileall
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
    parser.add_argument(
        "--baseline", type=Path, help="a source checkout of another commit to compare"
    )
    args = parser.parse_args()
    if args.baseline is not None:
        compare_with_baseline(args.runs, args.baseline.resolve())
        return
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


def _org(root: Path, extra: dict[str, str]) -> dict[str, str]:
    env = installed_like_env(
        {
            "TURSOTUI_CONFIG": str(root / "config.toml"),
            "TURSOTUI_ENV_FILE": str(root / ".env"),
            "TURSOTUI_DATA_DIR": str(root / "data"),
            **extra,
        }
    )
    (root / "config.toml").write_text("", encoding="utf-8")
    return env


def compare_with_baseline(runs: int, baseline: Path) -> None:
    """This tree and ``baseline`` launched in turn (ours, theirs, ours, …), each on its own demo org."""
    compileall.compile_dir(baseline / "tursotui", quiet=1)
    ours_root = Path(tempfile.mkdtemp(prefix="tursotui-cold-"))
    base_root = Path(tempfile.mkdtemp(prefix="tursotui-cold-base-"))
    argv = [sys.executable, "-m", "tursotui"]
    try:
        ours_env = _org(ours_root, {})
        base_env = _org(base_root, {"PYTHONPATH": str(baseline)})
        launch(argv, ours_env, b"xswarm-users", timeout=180)  # the first runs create the demo orgs
        launch(argv, base_env, b"xswarm-users", timeout=180)
        ours: list[float] = []
        base: list[float] = []
        for _ in range(runs):
            ours.append(launch(argv, ours_env, b"xswarm-users", timeout=60))
            base.append(launch(argv, base_env, b"xswarm-users", timeout=60))
        report("this tree: cold start to live data", ours)
        report(f"baseline {baseline}: cold start to live data", base)
    finally:
        shutil.rmtree(ours_root, ignore_errors=True)
        shutil.rmtree(base_root, ignore_errors=True)


if __name__ == "__main__":
    main()

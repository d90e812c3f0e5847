"""First frame with data on a pty at 120×36 (run by hand):

    .venv/bin/python benchmarks/first_frame.py [RUNS] [--harlequin VENV] [--before REV]

Launches, interleaved in the same run (median of RUNS, default 7):
- tursotui on a local org (the demo org, created by a first untimed run that also leaves the last known
  snapshot in the data dir's cache): from just before the launch until `xswarm-users` is in the terminal
  output. With the cache that is the cached first frame ("cached · as of HH:MM, refreshing…"); also timed:
  until the banner says `last HH:MM:SS` (the first live refresh has replaced it);
- tursotui with its cache removed before each launch (the first frame then waits for the local Turso);
- a minimal Textual app (three tabs, a DataTable whose one row `xswarm-users` is added on mount), the floor
  any Textual console pays: the same interpreter, the same pty;
- harlequin (`--harlequin VENV`, e.g. /tmp/hq made by `python -m venv /tmp/hq && /tmp/hq/bin/pip install
  harlequin`) on a SQLite file until it says "Database Connected" (its catalog loaded);
- tursotui as of git revision `--before REV` (its `tursotui/` extracted with `git archive`, run from there by
  PYTHONPATH, on the same data dir and cache): a before/after of a change in the same run.

Targets (issue 15): tursotui's first frame <= 1.3 × the minimal app's, and >= 2.5 × faster than harlequin.
"""

from __future__ import annotations

import argparse
import compileall
import io
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ptyterm import Terminal, installed_like_env

COLS, ROWS = 120, 36
ROW = b"xswarm-users"
LIVE = re.compile(rb"last \d\d:\d\d:\d\d")
"""The banner's status once a live refresh has landed (``⟳ every 5 s · last 10:42:07 UTC``)."""
CONNECTED = b"Database Connected"
MINIMAL_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, TabbedContent, TabPane


class Minimal(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        with TabbedContent():
            with TabPane("Databases"):
                yield DataTable()
            with TabPane("Usage"):
                yield DataTable()
            with TabPane("SQL"):
                yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Group", "Primary")
        table.add_row("xswarm-users", "default", "sjc")


Minimal().run()
"""


def launch(
    argv: list[str],
    env: dict[str, str],
    marker: bytes,
    *,
    live: bool = False,
    quit_key: bytes = b"q",
) -> tuple[float, float]:
    """(seconds to ``marker``, seconds to the live banner or NaN when ``live`` is False)."""
    term = Terminal.launch(argv, env, COLS, ROWS)
    first = later = float("nan")
    try:
        first = term.wait_for(marker, 90)
        if first != first:
            print("no data; last output:", term.seen[-300:].decode(errors="replace"))
        elif live:
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline:
                term.read(0.05)
                if LIVE.search(term.seen):
                    later = time.perf_counter() - term.started
                    break
    finally:
        term.quit(quit_key)
    return first, later


def extract(revision: str, into: Path) -> Path:
    """``tursotui/`` as of ``revision`` in ``into`` (compiled, as an installed copy would be)."""
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", revision, "tursotui"], capture_output=True, check=True
    ).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    compileall.compile_dir(into / "tursotui", quiet=1)
    return into


def median(samples: list[float]) -> float:
    good = [s for s in samples if s == s]
    return statistics.median(good) if good else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=7)
    parser.add_argument("--harlequin", type=Path, help="a venv with harlequin installed")
    parser.add_argument(
        "--before", metavar="REV", help="also time tursotui as of this git revision"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tursotui-first-frame-"))
    env = installed_like_env(
        {
            "TURSOTUI_CONFIG": str(root / "config.toml"),
            "TURSOTUI_ENV_FILE": str(root / ".env"),
            "TURSOTUI_DATA_DIR": str(root / "data"),
        }
    )
    (root / "config.toml").write_text("", encoding="utf-8")
    (root / "minimal.py").write_text(MINIMAL_APP, encoding="utf-8")
    cache = root / "data" / "cache"
    ours = [sys.executable, "-m", "tursotui"]
    minimal = [sys.executable, str(root / "minimal.py")]
    db = root / "users.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT)")
    theirs = (
        [str(args.harlequin / "bin" / "harlequin"), "-a", "sqlite", str(db)]
        if args.harlequin
        else []
    )
    before_env = dict(env)
    if args.before:
        before_env["PYTHONPATH"] = str(extract(args.before, root / "before"))
        # `-m` would put the current directory (this checkout) first
        before_env["PYTHONSAFEPATH"] = "1"
    try:
        first, _ = launch(
            ours, env, ROW, live=True
        )  # creates the demo org; its refresh saves the cache
        print(f"first run (creates the local demo org): {first:.2f} s")
        launch(minimal, env, ROW)
        if theirs:
            launch(theirs, env, CONNECTED, quit_key=b"\x11")  # its first run: its own caches
        results: dict[str, list[float]] = {
            "tursotui, cached first frame": [],
            "tursotui, live data (after the cached frame)": [],
            "tursotui, no cache (waits for the local Turso)": [],
            "minimal Textual app (tabs + DataTable)": [],
            "harlequin (sqlite, catalog loaded)": [],
            f"tursotui {args.before}, cached first frame": [],
            f"tursotui {args.before}, live data": [],
        }
        for _ in range(args.runs):
            if not any(cache.glob("snapshot-*.json")):
                raise SystemExit(f"no cached snapshot in {cache}: the console did not save one")
            cached, live = launch(ours, env, ROW, live=True)
            results["tursotui, cached first frame"].append(cached)
            results["tursotui, live data (after the cached frame)"].append(live)
            saved = {p: p.read_bytes() for p in cache.glob("snapshot-*.json")}
            for path in saved:
                path.unlink()
            results["tursotui, no cache (waits for the local Turso)"].append(
                launch(ours, env, ROW)[0]
            )
            for path, body in saved.items():  # as it was: the next cached launch shows the same
                path.write_bytes(body)
            results["minimal Textual app (tabs + DataTable)"].append(launch(minimal, env, ROW)[0])
            if theirs:
                results["harlequin (sqlite, catalog loaded)"].append(
                    launch(theirs, env, CONNECTED, quit_key=b"\x11")[0]
                )
            if args.before:
                cached, live = launch(ours, before_env, ROW, live=True)
                results[f"tursotui {args.before}, cached first frame"].append(cached)
                results[f"tursotui {args.before}, live data"].append(live)
        medians = {label: median(samples) for label, samples in results.items() if samples}
        for label, samples in results.items():
            if samples:
                runs = ", ".join(f"{s:.3f}" for s in samples)
                print(f"{label:50s} median {medians[label]:.3f} s  ({runs})")
        ours_first = medians["tursotui, cached first frame"]
        floor = medians["minimal Textual app (tabs + DataTable)"]
        print(f"tursotui / minimal app: {ours_first / floor:.2f} × (target <= 1.3)")
        if theirs:
            print(
                f"harlequin / tursotui: {medians['harlequin (sqlite, catalog loaded)'] / ours_first:.2f} × "
                "(target >= 2.5)"
            )
        if args.before:
            before = medians[f"tursotui {args.before}, cached first frame"]
            print(f"tursotui {args.before} / now: {before / ours_first:.2f} ×")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

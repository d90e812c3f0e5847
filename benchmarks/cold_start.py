"""Cold start to the first frame with live data (run by hand: `.venv/bin/python benchmarks/cold_start.py [RUNS]`).

Launches `python -m tursotui` in a real pty at 120×36 against a local org in a temp dir (created by a first,
untimed run), and times from just before the launch until the `xswarm-users` row (from the Platform API) is in
the terminal output. Then sends `q` and waits for the exit. Results: benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

MARKER = b"xswarm-users"
COLS, ROWS = 120, 36


def launch(env: dict[str, str], timeout: float) -> float:
    """Seconds until MARKER shows; the process is quit with `q` (killed by its own pid if it hangs)."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console in the pty
        os.execve(sys.executable, [sys.executable, "-m", "tursotui"], env)  # noqa: S606
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    seen = b""
    elapsed = float("nan")
    deadline = start + timeout
    try:
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen = (seen + chunk)[-65536:]
            if MARKER in seen:
                elapsed = time.perf_counter() - start
                break
        if elapsed != elapsed:
            print(
                "no live data; last output:", seen[-400:].decode(errors="replace"), file=sys.stderr
            )
        os.write(fd, b"q")
        end = time.perf_counter() + 10
        while time.perf_counter() < end:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            select.select([fd], [], [], 0.05)
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
        else:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    root = Path(tempfile.mkdtemp(prefix="tursotui-cold-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TURSO", "TEXTUAL"))}
    env.update(
        TERM="xterm-256color",
        TURSOTUI_CONFIG=str(root / "config.toml"),
        TURSOTUI_ENV_FILE=str(root / ".env"),
        TURSOTUI_DATA_DIR=str(root / "data"),
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    (root / "config.toml").write_text("", encoding="utf-8")
    try:
        first = launch(env, timeout=180)
        print(f"first run (creates the local demo org): {first:.2f} s")
        samples = [launch(env, timeout=60) for _ in range(runs)]
        good = [s for s in samples if s == s]
        print("runs:", ", ".join(f"{s:.3f}" for s in samples))
        if good:
            print(
                f"cold start to live data at {COLS}x{ROWS}: median {statistics.median(good):.3f} s, "
                f"min {min(good):.3f} s, max {max(good):.3f} s (n={len(good)})"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

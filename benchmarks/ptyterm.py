"""A console in a real pseudo-terminal, for the benchmarks that time what an operator sees.

    term = Terminal.launch([sys.executable, "-m", "tursotui"], env, cols=120, rows=36)
    seconds = term.wait_for(b"xswarm-users", timeout=60)
    term.press(b"2"); term.wait_for_output()
    term.quit()

Only the benchmarks use it (run by hand); nothing here is imported by tursotui or the tests.
"""

from __future__ import annotations

import compileall
import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tursotui"


def installed_like_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a user's shell: no TURSO*/TEXTUAL* leaking in, bytecode as pip would write it.

    An editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile every tursotui module on every
    launch, which no installed copy does: compile once here and let the child read the bytecode.
    """
    compileall.compile_dir(PACKAGE, quiet=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TURSO", "TEXTUAL"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


class Terminal:
    def __init__(self, pid: int, fd: int, started: float) -> None:
        self.pid = pid
        self.fd = fd
        self.started = started
        self.seen = b""

    @classmethod
    def launch(cls, argv: list[str], env: dict[str, str], cols: int, rows: int) -> Terminal:
        started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the program in the pty
            os.execve(argv[0], argv, env)  # noqa: S606
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        return cls(pid, fd, started)

    def read(self, wait: float) -> bytes:
        """What the program wrote within ``wait`` seconds (b"" if nothing)."""
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.seen = (self.seen + chunk)[-65536:]
        return chunk

    def wait_for(self, marker: bytes, timeout: float) -> float:
        """Seconds since launch until ``marker`` is in the output (NaN on timeout)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.read(0.05)
            if marker in self.seen:
                return time.perf_counter() - self.started
        return float("nan")

    def drain(self, quiet: float = 0.3, limit: float = 10.0) -> None:
        """Read until the program has been silent for ``quiet`` seconds."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end and self.read(quiet):
            pass

    def press(self, keys: bytes) -> float:
        """Send ``keys``; seconds until the first repaint bytes arrive (NaN if none within 5 s)."""
        start = time.perf_counter()
        os.write(self.fd, keys)
        end = start + 5.0
        while time.perf_counter() < end:
            if self.read(0.5):
                return time.perf_counter() - start
        return float("nan")

    def quit(self, key: bytes = b"q") -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, key)
        end = time.perf_counter() + 15
        try:
            while time.perf_counter() < end:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    return
                self.read(0.05)
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (sqld runs in its own session but stays our child)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return [*found, *(d for c in found for d in children(c))]

"""Helpers for the lifecycle tests: tursotui run as a real process on its own data dir, its sqld found by their
pid files (``<data>/local-turso/sqld/pids/*.pid``) and checked in /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEADLINE = 120.0
OURS = {
    "TURSOTUI_CONFIG",
    "TURSOTUI_ENV_FILE",
    "TURSOTUI_DATA_DIR",
    "TURSOTUI_TARGET",
    "TURSOTUI_READ_ONLY",
}
"""Settings a test must not inherit (TURSOTUI_SQLD, where sqld is, may be)."""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def sqld_pids(local_dir: Path) -> list[int]:
    """The sqld started on ``local_dir``, from their pid files."""
    pids = []
    for path in (local_dir / "sqld" / "pids").glob("*.pid"):
        try:
            pids.append(int(json.loads(path.read_text())["pid"]))
        except (OSError, ValueError, KeyError):
            continue  # being written or removed
    return pids


def wait_gone(pids: list[int], seconds: float = 30.0) -> list[int]:
    """The pids still alive after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def wait_for(predicate: object, what: str, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Setup:
    """A config.toml, .env and data dir of their own, for ``tursotui`` run as a subprocess."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def env_file(self) -> Path:
        return self.root / ".env"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def local_dir(self) -> Path:
        return self.data / "local-turso"

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tursotui",
            "--config",
            str(self.config),
            "--env-file",
            str(self.env_file),
            "--data-dir",
            str(self.data),
            *args,
        ]

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TURSO_") and k not in OURS}
        env["HOME"] = str(self.root / "home")
        return env

    def start(self, *args: str, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            self.argv(*args),
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def run(self, *args: str, timeout: float = DEADLINE) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def serving(proc: subprocess.Popen[str]) -> str:
    """Read ``local serve``'s stdout up to its "Platform API on" line; the lines read."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Platform API on" in line:
            return "".join(lines)
    raise AssertionError(f"local serve exited ({proc.wait()}): {''.join(lines)}{_err(proc)}")


def _err(proc: subprocess.Popen[str]) -> str:
    return proc.stderr.read() if proc.stderr is not None else ""


def stop(proc: subprocess.Popen[str], local_dir: Path) -> None:
    """Kill ``proc`` (by its pid) if the test left it running, and the sqld it left behind."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    from tursotui.local.engine.pidfiles import reap_stale_sqld

    reap_stale_sqld(local_dir / "sqld" / "pids", local_dir / "sqld")

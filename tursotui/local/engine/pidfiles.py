"""Pid files of the local Turso's sqld processes, and stopping the ones a killed tursotui left behind.

sqld runs in its own session (a ctrl+c in the console must not reach it), so when tursotui is SIGKILLed its
sqld children outlive it and keep the data files and ports. Each sqld gets a pid file
(``<data>/sqld/pids/<label>-<pid>.pid``, JSON, mode 0600) naming it and its owner; the next start stops a sqld
only when its owner is gone AND its pid, start time and ``/proc/<pid>/cmdline`` still match a sqld serving our
``--db-path`` — a reused pid or another program is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tursotui.support.atomic import atomic_write

log = logging.getLogger("tursotui.local.engine.sqld")


def write_pid_record(
    pid_dir: Path, label: str, pid: int, db_path: Path, binary: str, http_port: int
) -> Path | None:
    """Write the pid file of a just-started sqld; None (logged) if it cannot be written."""
    record = {
        "pid": pid,
        "start": process_start_time(pid),
        "db_path": str(db_path.absolute()),
        "binary": binary,
        "http_port": http_port,
        "owner_pid": os.getpid(),
        "owner_start": process_start_time(os.getpid()),
    }
    path = pid_dir / f"{label}-{pid}.pid"
    try:
        pid_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(path, (json.dumps(record) + "\n").encode("utf-8"), mode=0o600)
    except OSError as exc:
        log.warning("could not write the pid file %s: %s", path, exc.strerror or exc)
        return None
    return path


PROC = Path("/proc")
Outcome = Literal["stopped", "killed", "gone", "not ours", "in use", "unreadable", "survived"]


@dataclass(frozen=True)
class StaleSqld:
    """What :func:`reap_stale_sqld` found for one pid file."""

    pid_file: Path
    pid: int | None
    db_path: str
    outcome: Outcome

    @property
    def cleaned(self) -> bool:
        """True when a left-over sqld of ours was stopped."""
        return self.outcome in ("stopped", "killed")

    def describe(self) -> str:
        what = f"sqld pid {self.pid} ({self.db_path})"
        return {
            "stopped": f"stopped left-over {what}",
            "killed": f"killed left-over {what} (it ignored SIGTERM)",
            "gone": f"{what} is no longer running; removed {self.pid_file.name}",
            "not ours": f"pid {self.pid} is no longer a sqld serving {self.db_path} (the pid was "
            f"reused); left it alone, removed {self.pid_file.name}",
            "in use": f"{what} belongs to a running tursotui (pid file {self.pid_file.name}); "
            "left alone",
            "unreadable": f"{self.pid_file} is not a pid file of ours; removed it",
            "survived": f"{what} did not exit after SIGKILL",
        }[self.outcome]


def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22).

    Together with the pid this names one process: a reused pid has another start time.
    ``None`` when the process does not exist, is a zombie, or there is no ``/proc``.
    """
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ..." where comm may hold spaces and parentheses: split after the last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    try:
        return int(fields[19])
    except ValueError:
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0") if part]


def _same_path(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


def _serves(argv: list[str], record: dict[str, Any]) -> bool:
    """Is ``argv`` a sqld serving ``record['db_path']``?"""
    if not argv:
        return False
    binary = str(record.get("binary") or "")
    if not (Path(argv[0]).name == "sqld" or (binary and _same_path(argv[0], binary))):
        return False
    try:
        db_path = argv[argv.index("--db-path") + 1]
    except (ValueError, IndexError):
        return False
    return _same_path(db_path, str(record.get("db_path", "")))


def _running(pid: int, start: int | None) -> bool:
    current = process_start_time(pid)
    return current is not None and (start is None or current == start)


def _wait_gone(pid: int, start: int | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid, start):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _signal(pidfd: int | None, pid: int, sig: signal.Signals) -> None:
    if pidfd is not None:
        signal.pidfd_send_signal(pidfd, sig)
    else:
        os.kill(pid, sig)


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("pid"), int):
        return None
    if not isinstance(record.get("db_path"), str) or record["pid"] <= 1:
        return None
    return record


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _inside(path: str, root: Path) -> bool:
    return os.path.isabs(path) and Path(os.path.normpath(path)).is_relative_to(
        os.path.normpath(root.absolute())
    )


def _reap_one(path: Path, root: Path, grace: float) -> StaleSqld:
    record = _read_record(path)
    if record is None:
        return StaleSqld(path, None, "?", "unreadable")
    pid: int = record["pid"]
    db_path: str = record["db_path"]
    start = _int_or_none(record.get("start"))

    def found(outcome: Outcome) -> StaleSqld:
        return StaleSqld(path, pid, db_path, outcome)

    current = process_start_time(pid)
    if current is None:
        return found("gone")
    if start is not None and current != start:
        return found("not ours")  # the pid was reused
    owner, owner_start = _int_or_none(record.get("owner_pid")), record.get("owner_start")
    if owner is not None and _running(owner, _int_or_none(owner_start)):
        return found("in use")  # the tursotui that started it still runs: not stale
    pidfd: int | None = None
    try:
        with contextlib.suppress(AttributeError, OSError):
            pidfd = os.pidfd_open(pid)  # pins this process: the pid cannot be reused from here
        # Checked after pidfd_open, so the process checked is the one that would be signalled.
        if not _running(pid, start):
            return found("gone")
        if not (_inside(db_path, root) and _serves(_cmdline(pid), record)):
            return found("not ours")
        try:
            _signal(pidfd, pid, signal.SIGTERM)
            if _wait_gone(pid, start, grace):
                return found("stopped")
            _signal(pidfd, pid, signal.SIGKILL)
        except ProcessLookupError:
            return found("stopped")
        return found("killed" if _wait_gone(pid, start, grace) else "survived")
    finally:
        if pidfd is not None:
            os.close(pidfd)


def reap_stale_sqld(pid_dir: Path, root: Path, *, grace: float = 5.0) -> list[StaleSqld]:
    """Stop sqld processes left running by a tursotui that died (SIGKILL, power cut of the TTY).

    sqld runs in its own session, so it outlives a parent that is killed outright. For every
    pid file in ``pid_dir``: when its tursotui is still running the file is left alone ("in
    use"); otherwise, if the pid is alive, is the same process (its start time) and
    ``/proc/<pid>/cmdline`` shows a sqld serving the recorded ``--db-path`` under ``root``, it
    gets SIGTERM, ``grace`` seconds, then SIGKILL. A dead pid, or one reused by another program,
    is left alone. Files are removed, except "in use" ones and those of a sqld that survived
    SIGKILL. Linux only (``/proc``); elsewhere nothing is done.
    """
    if not pid_dir.is_dir() or not (PROC / "self").exists():
        return []
    found: list[StaleSqld] = []
    for path in sorted(pid_dir.glob("*.pid")):
        result = _reap_one(path, root, grace)
        found.append(result)
        if result.outcome not in ("in use", "survived"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if result.cleaned or result.outcome == "survived":
            log.warning("%s", result.describe())
        else:
            log.info("%s", result.describe())
    return found

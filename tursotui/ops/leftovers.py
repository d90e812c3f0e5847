"""What a killed run leaves behind, found again and removed by a later run.

A run killed with SIGKILL (or a power cut) cannot clean up after itself. Everything it may leave
is named so that a later run can tell it is this tool's and that its writer is gone: the
writer's pid is part of the name (scratch directories ``tursotui-verify-<pid>-…`` in the temp
directory, backup temp files ``.<backup>.<pid>-….partial``) or of the content (the import
journal). A leftover whose writer still runs, or that is not named this way, is never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRATCH_KINDS = ("verify", "upload", "import")
_SCRATCH = re.compile(r"^tursotui-(?:verify|upload|import)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``); None if unknown.

    Stored beside a pid so that the pid, reused later by another program, does not count as the
    writer still running.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` runs (a zombie does not; with ``started``, the same process)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no /proc: trust kill(0)
    fields = text.rpartition(")")[2].split()
    if fields and fields[0] in ("Z", "X"):
        return False
    return started is None or len(fields) <= 19 or fields[19] == started


@dataclass(frozen=True)
class Removed:
    """A leftover of a killed run that was removed, and how big it was."""

    path: Path
    size_bytes: int


def scratch_dir(kind: str, parent: Path | None = None) -> Path:
    """A new 0700 directory ``tursotui-<kind>-<pid>-<random>`` in the temp directory."""
    assert kind in SCRATCH_KINDS
    return Path(tempfile.mkdtemp(prefix=f"tursotui-{kind}-{os.getpid()}-", dir=parent))


def _ours(path: Path, pid: int) -> bool:
    """Owned by this user, not a symlink, and its writer (not this process) is gone."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        return False
    return pid != os.getpid() and not pid_alive(pid)


def remove_scratch(parent: Path | None = None) -> list[Removed]:
    """Remove the scratch directories (copies of data) of killed runs; returns what was removed."""
    folder = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    removed: list[Removed] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if match is None or not _ours(entry, int(match["pid"])) or not entry.is_dir():
            continue
        size = tree_size(entry)
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(Removed(entry, size))
    return removed


def remove_owned_file(path: Path, pid: int) -> Removed | None:
    """Remove ``path`` if it is ours and its writer ``pid`` is gone (see :func:`remove_scratch`)."""
    if not _ours(path, pid) or not path.is_file():
        return None
    size = tree_size(path)
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    except OSError:
        return None
    return Removed(path, size)


def tree_size(path: Path) -> int:
    """Bytes in ``path`` (a file or a directory tree); 0 when it cannot be read."""
    if path.is_file():
        with contextlib.suppress(OSError):
            return path.stat().st_size
        return 0
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
    return total

"""The state's journal: per-database changes of a large org, appended instead of rewriting state.json.

One JSON object per line. The first line is ``{"generation": G}``: the generation of state.json the lines
follow (:class:`tursotui.local.control.state.StateStore`). Then one line per changed database: ``{"db": name,
"row": {...}, "points": [...]}`` (its whole row and recovery points: replaying a line twice is harmless) or
``{"db": name, "gone": true}``. Each append is written with ``O_APPEND`` and fsynced before the change is
answered; an append the disk refuses is cut back, so the file never keeps half a line. A last line without
its newline (a kill in the middle of a write) is ignored and cut off at the next append.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class JournalError(ValueError):
    """The journal cannot be replayed; the message names the file and the line."""


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        """Change lines in the file (its header not counted)."""
        self.size = 0
        """Bytes of whole lines in the file."""

    def replay(self, data: dict[str, Any], generation: int) -> None:
        """Apply the journal's lines to ``data`` (state.json's object) when it follows ``generation``."""
        self.lines = self.size = 0
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise JournalError(f"{self.path} cannot be read ({exc})") from None
        whole = raw[: raw.rfind(b"\n") + 1]  # a torn last line is not a change that was answered
        lines = whole.splitlines()
        if not lines:
            return
        try:
            header = json.loads(lines[0])
            follows = int(header["generation"])
        except (ValueError, TypeError, KeyError):
            raise JournalError(f"{self.path}, line 1: not a journal header") from None
        if follows != generation:
            return  # written before state.json was last rewritten: state.json has it all
        databases = data["databases"]
        points = data["recovery_points"]
        for number, line in enumerate(lines[1:], start=2):
            try:
                entry = json.loads(line)
                name = entry["db"]
                if entry.get("gone"):
                    databases.pop(name, None)
                    points.pop(name, None)
                    continue
                if not isinstance(entry["row"], dict) or not isinstance(entry["points"], list):
                    raise TypeError("row or points of the wrong type")
                databases[name] = entry["row"]
                if entry["points"]:
                    points[name] = entry["points"]
                else:
                    points.pop(name, None)
            except (ValueError, TypeError, KeyError) as exc:
                raise JournalError(
                    f"{self.path}, line {number}: {type(exc).__name__}: {exc}"
                ) from None
        self.lines = len(lines) - 1
        self.size = len(whole)

    def append(self, entries: list[dict[str, Any]], generation: int) -> None:
        """Append ``entries`` (after the header, when the file is new) and fsync; all or nothing."""
        text = "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in entries)
        if self.size == 0:
            text = json.dumps({"generation": generation}) + "\n" + text
        data = text.encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.ftruncate(fd, self.size)  # a torn line left by a kill goes
            os.lseek(fd, self.size, os.SEEK_SET)
            try:
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            except OSError as exc:
                os.ftruncate(fd, self.size)
                raise type(exc)(exc.errno, exc.strerror or str(exc), str(self.path)) from exc
        finally:
            os.close(fd)
        self.size += len(data)
        self.lines += len(entries)

    def remove(self) -> None:
        """State.json now holds everything the journal said."""
        self.path.unlink(missing_ok=True)
        self.lines = self.size = 0

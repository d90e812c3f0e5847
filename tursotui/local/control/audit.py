"""The organization's audit log: one JSON line per action, appended to ``audit-log.jsonl`` (0600).

An entry has the spec's ``AuditLog`` fields: ``code`` (what was done), ``message``, ``origin`` (``cli`` or
``web``, from the User-Agent), ``author`` (here: the name of the API token that did it; the local Turso's
own token is the owner, ``local``), ``created_at`` (ISO 8601) and ``data`` (what was acted on; never a
secret). ``GET …/audit-logs`` pages the entries newest first (:meth:`AuditLog.page`).

The codes are the spec's enum where it names the action (``db-create``, ``instance-create``,
``user-token-create``, …). The enum names no code for rotating tokens, revoking an API token or changing a
database's configuration other than its delete protection: those get the codes of :data:`LOCAL_CODES`, in the
enum's style. Turso Cloud's own codes for them are unverified.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tursotui.local.control.api_tokens import moment
from tursotui.local.errors import ApiError

log = logging.getLogger(__name__)

AUDIT_FILE = "audit-log.jsonl"
DEFAULT_PAGE_SIZE = 100
"""The spec's default ``page_size``."""
MAX_PAGE_SIZE = 1000
"""Larger pages are cut to this (the cloud's own limit is unverified)."""

LOCAL_CODES: dict[str, str] = {
    "db-token-rotate": "every token of a database's group invalidated (POST …/databases/{d}/auth/rotate)",
    "group-token-rotate": "every token of a group invalidated (POST …/groups/{g}/auth/rotate)",
    "user-token-revoke": "an API token revoked",
    "db-config-update": "a database's configuration changed (other than delete protection)",
    "local-recovery-point-create": "a recovery point taken on demand (a local-only endpoint)",
    "db-dump-upload": "a SQL dump uploaded for a new database's dump seed (POST …/databases/dumps)",
    "local-group-archive": "a group archived on demand (a local-only endpoint)",
}
"""Codes for actions the spec's ``AuditLog.code`` enum has none for."""

STARTER_REFUSAL = "feature_not_available_for_starter_plan"
"""The code turso-cli turns into "Audit logs are not available on the free plan" (utils.go)."""


@dataclass(frozen=True)
class AuditEntry:
    code: str
    author: str
    created_at: float
    message: str = ""
    origin: str = "cli"
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The spec's ``AuditLog`` object."""
        return {
            "code": self.code,
            "message": self.message,
            "origin": self.origin,
            "author": self.author,
            "created_at": moment(self.created_at),
            "data": dict(self.data),
        }


def origin_of(user_agent: str) -> str:
    """``web`` for a browser's User-Agent, else ``cli`` (the spec: "either cli or web")."""
    return "web" if "mozilla" in user_agent.lower() else "cli"


def _positive(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ApiError(400, f"invalid {name} {text!r}: a whole number, 1 or more")
    return int(text)


class AuditLog:
    """The entries of a data dir, read on first use and appended to as actions happen."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = data_dir / AUDIT_FILE
        self.clock = clock
        self._entries: list[AuditEntry] | None = None

    def entries(self) -> list[AuditEntry]:
        """Oldest first. A line that does not parse (a crash mid-write) is skipped and named in the log."""
        if self._entries is None:
            self._entries = self._load()
        return self._entries

    def _load(self) -> list[AuditEntry]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ApiError(500, f"{self.path} cannot be read ({exc})") from None
        out = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                out.append(AuditEntry(**item))
            except (ValueError, TypeError) as exc:
                log.warning("%s, line %d: skipped, not an audit entry (%s)", self.path, number, exc)
        return out

    def append(
        self,
        code: str,
        *,
        author: str,
        message: str = "",
        origin: str = "cli",
        data: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Add an entry: one line appended (0600 from its creation). OSError if the disk refuses."""
        entry = AuditEntry(
            code=code,
            author=author,
            created_at=self.clock(),
            message=message,
            origin=origin,
            data=dict(data or {}),
        )
        line = json.dumps(asdict(entry), sort_keys=True, separators=(",", ":")) + "\n"
        entries = self.entries()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        entries.append(entry)
        return entry

    def page(self, query: Mapping[str, str]) -> dict[str, Any]:
        """``GET …/audit-logs``: ``audit_logs`` newest first and ``pagination`` (``page``, ``page_size``,
        ``total_pages``, ``total_rows``); ``page`` defaults to 1, ``page_size`` to 100."""
        number = _positive(query, "page", 1)
        size = min(_positive(query, "page_size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        entries = self.entries()
        total = len(entries)
        end = total - (number - 1) * size
        chosen = entries[max(0, end - size) : max(0, end)]
        return {
            "audit_logs": [e.to_json() for e in reversed(chosen)],
            "pagination": {
                "page": number,
                "page_size": size,
                "total_pages": max(1, math.ceil(total / size)),
                "total_rows": total,
            },
        }


__all__ = ["LOCAL_CODES", "STARTER_REFUSAL", "AuditEntry", "AuditLog", "origin_of"]

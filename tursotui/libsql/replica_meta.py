"""tursotui's record beside a replica file (``<file>.tursotui.json``): the last sync, and which database the file
came from, so that a repointed config never turns the file into another database's copy in silence.

libsql itself would sync any file from any URL it is given: its ``-info`` holds only a generation and a frame
number, which another database's server may well have too. The record names the database (URL, name, and the
Platform API's database id and organization when known); :func:`mismatch` compares it with what config names
now. Written atomically (:func:`tursotui.support.atomic.atomic_write`), never holding a token.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tursotui.support.atomic import atomic_write


@dataclass(frozen=True)
class Origin:
    """A database a replica syncs from: its URL always; its name, id and organization when known."""

    url: str
    database: str = ""
    database_id: str = ""
    organization: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "url": self.url,
            "database": self.database,
            "database_id": self.database_id,
            "organization": self.organization,
        }

    @classmethod
    def from_json(cls, data: Any) -> Origin | None:
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return None
        text = {k: v if isinstance(v, str) else "" for k, v in data.items()}
        return cls(
            text["url"],
            text.get("database", ""),
            text.get("database_id", ""),
            text.get("organization", ""),
        )

    def describe(self, *, ids: bool = True) -> str:
        """``database app (http://127.0.0.1:8080, id 5f1c…, org acme)``, or the URL alone; ``ids``: with the id
        and organization when known."""
        details = [self.url]
        if ids and self.database_id:
            details.append(f"id {self.database_id}")
        if ids and self.organization:
            details.append(f"org {self.organization}")
        inside = ", ".join(details)
        return f"database {self.database} ({inside})" if self.database else inside


def same_url(a: str, b: str) -> bool:
    """The same server: ``libsql://`` is ``https://`` to libsql; a trailing ``/`` changes nothing."""

    def norm(url: str) -> str:
        url = url.strip().rstrip("/")
        return "https://" + url.removeprefix("libsql://") if url.startswith("libsql://") else url

    return norm(a) == norm(b)


def mismatch(recorded: Origin, wanted: Origin) -> bool:
    """True when the file came from another database than ``wanted``.

    Both ids known: they decide (a database keeps its id when its URL moves, and a deleted and re-created one of
    the same name and URL has a new one). Otherwise a different name (both known) or URL is another database.
    """
    if recorded.database_id and wanted.database_id:
        return recorded.database_id != wanted.database_id
    if recorded.database and wanted.database and recorded.database != wanted.database:
        return True
    return not same_url(recorded.url, wanted.url)


def meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".tursotui.json")


def read(path: Path) -> dict[str, Any]:
    """The record beside the replica at ``path`` ({} when there is none or it is unreadable)."""
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(meta_path(path).read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            return loaded
    return {}


def origin(path: Path) -> Origin | None:
    """Which database the file came from; records older than this field give the URL of their last sync."""
    meta = read(path)
    found = Origin.from_json(meta.get("origin"))
    if found is None and isinstance(meta.get("url"), str):
        found = Origin(meta["url"])
    return found


def write(path: Path, data: dict[str, Any]) -> None:
    """Replace the record beside the replica at ``path`` (atomic, 0600)."""
    atomic_write(meta_path(path), json.dumps(data, indent=1).encode("utf-8"), mode=0o600)

"""The console's statement history: ``<data_dir>/sql-history.json``, newest last, bounded, 0600.

Secrets never reach it: statements holding one of the app's tokens or anything shaped like a JWT
are not recorded at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tursotui.support.atomic import atomic_write
from tursotui.support.redact import JWT as _JWT

HISTORY_FILE = "sql-history.json"
HISTORY_LIMIT = 200
MAX_ENTRY_CHARS = 20_000


def holds_secret(text: str, secrets: Iterable[str] = ()) -> bool:
    return bool(_JWT.search(text)) or any(s and s in text for s in secrets)


class SqlHistory:
    """Entries oldest first; ``add`` moves a repeated entry to the end."""

    def __init__(
        self, path: Path, *, limit: int = HISTORY_LIMIT, secrets: Iterable[str] = ()
    ) -> None:
        self.path = path
        self.limit = limit
        self.secrets = tuple(secrets)
        self.entries: list[str] = []
        self.error: str | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path, *, secrets: Iterable[str] = ()) -> SqlHistory:
        return cls(data_dir / HISTORY_FILE, secrets=secrets)

    def load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self.entries
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self.error = f"SQL history {self.path} not read: {exc}"
            return self.entries
        items = data.get("entries") if isinstance(data, dict) else None
        if isinstance(items, list):
            kept = [e for e in items if isinstance(e, str) and not holds_secret(e, self.secrets)]
            self.entries = kept[-self.limit :]
        return self.entries

    def add(self, text: str) -> bool:
        """Record ``text``; False (and nothing recorded) when it is empty, too long or holds a secret."""
        entry = text.strip()
        if not entry or len(entry) > MAX_ENTRY_CHARS or holds_secret(entry, self.secrets):
            return False
        if entry in self.entries:
            self.entries.remove(entry)
        self.entries.append(entry)
        del self.entries[: -self.limit]
        return True

    def save(self) -> None:
        body = json.dumps({"version": 1, "entries": self.entries}, indent=1) + "\n"
        atomic_write(self.path, body.encode("utf-8"), mode=0o600)

"""The journal of the databases ``import --new`` is creating, so a killed import can be retried.

A new database is registered before its data arrives (the upload follows the create). An import
killed in between (SIGKILL, a power cut) leaves the name taken by an empty database, and the
retry would fail with "already exists". Before it creates the database the importer writes one
small file, ``<data_dir>/imports/<target>-<organization>-<name>.json`` (0600, in a 0700
folder; metadata only: name, group, pid and start time of the importing process, then the new
database's id), and removes it when the import ends, whichever way.

A later ``import --new`` of the same name reuses the name only when all of these hold: the
entry exists; the process that wrote it is gone; the database has the id the entry recorded
(when the kill came after the create answered); and the database is still empty (no table,
index, view or trigger). It then deletes that empty database and creates it again, and says so.
A database without an entry, with another id, with anything in it, or whose importer still runs
is never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tursotui.libsql.errors import LibsqlError
from tursotui.ops.access import mint_session_token, sql_client
from tursotui.ops.errors import OpsError
from tursotui.ops.leftovers import pid_alive, process_started
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import Database, PlatformClient, PlatformError
from tursotui.support.atomic import atomic_write

JOURNAL_DIR = "imports"
CHECK_EXPIRATION = "1h"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class JournalEntry:
    name: str
    group: str
    organization: str
    target: str
    """``local`` or ``cloud``."""
    pid: int
    pid_started: str | None
    started_at: str
    database_id: str = ""
    """Set once the create answered; empty when the import was killed during the create."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> JournalEntry:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        started = data.get("pid_started")
        return cls(
            name=str(data["name"]),
            group=str(data.get("group") or ""),
            organization=str(data.get("organization") or ""),
            target=str(data.get("target") or ""),
            pid=int(data["pid"]),
            pid_started=None if started is None else str(started),
            started_at=str(data.get("started_at") or ""),
            database_id=str(data.get("database_id") or ""),
        )

    @property
    def running(self) -> bool:
        return pid_alive(self.pid, self.pid_started)


class ImportJournal:
    """One file per database being created, in ``directory``."""

    def __init__(self, directory: Path, *, organization: str, target: str) -> None:
        self.directory = directory
        self.organization = organization
        self.target = target

    @classmethod
    def in_data_dir(cls, data_dir: Path, *, organization: str, target: str) -> ImportJournal:
        return cls(data_dir / JOURNAL_DIR, organization=organization, target=target)

    def path(self, name: str) -> Path:
        stem = _SAFE.sub("_", f"{self.target}-{self.organization}-{name}")
        return self.directory / f"{stem}.json"

    def read(self, name: str) -> JournalEntry | None:
        """The entry for ``name``; None when there is none or it cannot be read (never guessed)."""
        try:
            entry = JournalEntry.from_json(json.loads(self.path(name).read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        same = (entry.name, entry.organization, entry.target)
        return entry if same == (name, self.organization, self.target) else None

    def begin(self, name: str, group: str) -> JournalEntry:
        """Written before the create: this process is about to create ``name``."""
        pid = os.getpid()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = JournalEntry(
            name, group, self.organization, self.target, pid, process_started(pid), stamp
        )
        self._write(entry)
        return entry

    def created(self, entry: JournalEntry, database_id: str) -> JournalEntry:
        updated = replace(entry, database_id=database_id)
        self._write(updated)
        return updated

    def end(self, name: str) -> None:
        """The import finished or cleaned up after itself: nothing is left to find."""
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()

    def _write(self, entry: JournalEntry) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            text = json.dumps(entry.to_json(), indent=2, sort_keys=True) + "\n"
            atomic_write(self.path(entry.name), text.encode("utf-8"), mode=0o600)
        except OSError as exc:
            raise OpsError(
                f"cannot write the import journal {self.path(entry.name)}: {exc.strerror or exc}; "
                "nothing was created"
            ) from None


@dataclass(frozen=True)
class Leftover:
    """An empty database an import killed earlier left behind: it is recreated."""

    entry: JournalEntry
    database_id: str

    @property
    def message(self) -> str:
        return (
            f"database {self.entry.name} is an empty database left by an import killed earlier "
            f"(pid {self.entry.pid}, started {self.entry.started_at}): it is deleted and "
            "created again"
        )


async def is_empty(
    platform: PlatformClient,
    database: Database,
    ledger: TokenLedger | None = None,
    target: str = "",
) -> bool:
    """Whether ``database`` has no table, index, view or trigger (read with a read-only token)."""
    token = await mint_session_token(
        platform,
        database,
        read_only=True,
        ledger=ledger,
        target=target,
        expiration=CHECK_EXPIRATION,
    )
    async with sql_client(platform, database, token) as client:
        result = await client.execute("SELECT count(*) FROM sqlite_schema")
    return int(result.scalar() or 0) == 0


async def find_leftover(
    platform: PlatformClient,
    journal: ImportJournal,
    database: Database,
    ledger: TokenLedger | None = None,
) -> tuple[Leftover | None, str]:
    """``(leftover, "")`` when ``database`` is a killed import's empty database, else
    ``(None, why not)`` (empty when the journal has nothing on it)."""
    entry = journal.read(database.name)
    if entry is None:
        return None, ""
    if entry.running:
        return None, f"an import of {database.name} is still running (pid {entry.pid})"
    if entry.database_id and database.db_id and entry.database_id != database.db_id:
        return None, ""  # the name was created again since: not the journal's database
    try:
        empty = await is_empty(platform, database, ledger, journal.target)
    except (PlatformError, LibsqlError) as exc:
        return None, f"could not check that it is empty ({exc})"
    if not empty:
        return None, (
            f"it was left by an import killed earlier (pid {entry.pid}) but is not empty: "
            "check it, then delete it yourself or import under another name"
        )
    return Leftover(entry, database.db_id), ""

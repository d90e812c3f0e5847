"""The token ledger: what tursotui issued, METADATA ONLY (scope, authorization, dates and a fingerprint: the
first 8 hex digits of the SHA-256 of the JWT's signature), never a token.

``<data_dir>/token-ledger.json`` (0600, written atomically, one writer at a time: ``<ledger>.lock``) is the
ledger as every version of tursotui reads it. :meth:`TokenLedger.record` rewrites it with one entry more: right
for a token at a time, quadratic for thousands. :meth:`TokenLedger.append` (a bulk mint's) writes one line to
``<ledger>.journal`` instead (0600, fsynced: O(1) an entry) and folds the journal into the ledger once the
journal is as large as the ledger, so N entries cost O(N) in all; :meth:`TokenLedger.compact` folds it at once
(a bulk mint does when it is done), and any ``record`` or ``mark_revoked`` does first. :meth:`entries` reads
both (the journal first: a fold writes the ledger before it removes the journal, so a reader never misses
an entry and drops those it sees twice); until a fold, an older tursotui reading only the ledger does not see
the journal's entries.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.token_claims import Authorization
from tursotui.support.atomic import atomic_write

LEDGER_FILE = "token-ledger.json"
LEDGER_VERSION = 1
JOURNAL_MIN_BYTES = 64 * 1024
"""The journal is folded into the ledger once it is this large (~250 entries) or as large as the ledger."""

Scope = Literal["database", "group", "api"]
"""``api``: a Platform API token (``api-tokens create``), named by ``name``."""
Kind = Literal["issued", "session"]
"""``issued``: handed to the operator or written to .env. ``session``: minted by tursotui for its
own use (a console session, a backup, an import), held in memory only, short-lived."""


@dataclass(frozen=True)
class LedgerEntry:
    fingerprint: str
    scope: Scope
    database: str
    """Empty for a group token."""
    group: str
    authorization: Authorization
    created_at: str
    expires_at: str | None
    organization: str = ""
    target: str = ""
    """``cloud`` or ``local``."""
    revoked_at: str | None = None
    """Set when this tool rotated the keys the token was signed with."""
    kind: Kind = "issued"
    holder_pid: int | None = None
    """A session token: the process that holds it (its expiry matters only while that runs)."""
    name: str = ""
    """A Platform API token's name (scope ``api``)."""

    @property
    def expires(self) -> datetime | None:
        return _parse_iso(self.expires_at)

    @property
    def subject(self) -> str:
        if self.scope == "api":
            return f"API token {self.name}" + (f" (group {self.group})" if self.group else "")
        return f"database {self.database}" if self.scope == "database" else f"group {self.group}"

    def to_json(self) -> dict[str, Any]:
        """Every field, as ``asdict`` makes it (all are plain values)."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> LedgerEntry:
        if not isinstance(data, dict):
            raise ValueError("entry is not an object")
        scope = data.get("scope")
        access = data.get("authorization")
        if scope not in ("database", "group", "api") or access not in ("full-access", "read-only"):
            raise ValueError("bad scope or authorization")
        return cls(
            fingerprint=str(data["fingerprint"]),
            scope="group" if scope == "group" else "api" if scope == "api" else "database",
            database=str(data.get("database") or ""),
            group=str(data.get("group") or ""),
            authorization="read-only" if access == "read-only" else "full-access",
            created_at=str(data["created_at"]),
            expires_at=_opt_str(data.get("expires_at")),
            organization=str(data.get("organization") or ""),
            target=str(data.get("target") or ""),
            revoked_at=_opt_str(data.get("revoked_at")),
            kind="session" if data.get("kind") == "session" else "issued",
            holder_pid=_opt_int(data.get("holder_pid")),
            name=str(data.get("name") or ""),
        )


_FIELDS = tuple(f.name for f in fields(LedgerEntry))


class TokenLedger:
    """The JSON ledger file and its journal. A damaged file is reported, never silently replaced."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> TokenLedger:
        return cls(data_dir / LEDGER_FILE)

    @property
    def journal(self) -> Path:
        return self.path.with_name(self.path.name + ".journal")

    def entries(self) -> list[LedgerEntry]:
        journal = self._journal_entries()  # first: see the module's doc
        entries = self._ledger_entries()
        if journal:
            known = {_identity(e) for e in entries}
            entries.extend(e for e in journal if _identity(e) not in known)
        return entries

    def _ledger_entries(self) -> list[LedgerEntry]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise OpsError(f"cannot read the token ledger {self.path}: {exc}") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
                raise ValueError("no 'tokens' list")
            return [LedgerEntry.from_json(item) for item in data["tokens"]]
        except (ValueError, KeyError) as exc:
            raise OpsError(
                f"the token ledger {self.path} is damaged ({exc}); move it aside to start a new one"
            ) from None

    def _journal_entries(self) -> list[LedgerEntry]:
        try:
            raw = self.journal.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise OpsError(f"cannot read the token ledger {self.journal}: {exc.strerror}") from None
        entries = []
        for number, line in enumerate(
            raw.split(b"\n")[:-1], 1
        ):  # after the last newline: a cut write
            try:
                entries.append(LedgerEntry.from_json(json.loads(line)))
            except (ValueError, KeyError) as exc:
                raise OpsError(
                    f"the token ledger {self.journal} is damaged at line {number} ({exc}); move it "
                    "aside (its entries are then not in the ledger)"
                ) from None
        return entries

    def _save(self, entries: Iterable[LedgerEntry]) -> None:
        """Write the ledger with ``entries``, then remove the journal (they include its entries)."""
        body = {"version": LEDGER_VERSION, "tokens": [e.to_json() for e in entries]}
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
        try:
            atomic_write(self.path, text.encode("utf-8"), mode=0o600)
            self.journal.unlink(missing_ok=True)
        except OSError as exc:
            raise OpsError(f"cannot write the token ledger {self.path}: {exc.strerror}") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (a console and a cron backup may record at once): ``<ledger>.lock``."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(
                self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600
            )
        except OSError as exc:
            raise OpsError(f"cannot lock the token ledger {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def record(self, entry: LedgerEntry, *, now: datetime | None = None) -> None:
        """Add ``entry`` (the ledger rewritten, the journal folded in); session tokens that have expired are
        dropped (they open nothing)."""
        moment = now or datetime.now(UTC)
        with self._locked():
            kept = [e for e in self.entries() if not _spent_session(e, moment)]
            self._save([*kept, entry])

    def append(self, entry: LedgerEntry, *, now: datetime | None = None) -> None:
        """Add ``entry`` by one line in the journal (O(1)); the journal is folded into the ledger once it is
        as large as the ledger (or :data:`JOURNAL_MIN_BYTES`), so N entries cost O(N) in all."""
        line = json.dumps(entry.to_json(), sort_keys=True, separators=(",", ":")) + "\n"
        with self._locked():
            try:
                size = _append_line(self.journal, line.encode("utf-8"))
                ledger_size = self.path.stat().st_size if self.path.exists() else 0
            except OSError as exc:
                raise OpsError(
                    f"cannot write the token ledger {self.journal}: {exc.strerror}"
                ) from None
            if size >= max(JOURNAL_MIN_BYTES, ledger_size):
                self._fold(now)

    def compact(self, *, now: datetime | None = None) -> None:
        """Fold the journal into the ledger now (nothing to do without one)."""
        if not self.journal.exists():
            return
        with self._locked():
            self._fold(now)

    def _fold(self, now: datetime | None) -> None:
        if not self.journal.exists():  # folded meanwhile by another writer
            return
        moment = now or datetime.now(UTC)
        self._save([e for e in self.entries() if not _spent_session(e, moment)])

    def mark_revoked(
        self,
        *,
        group: str = "",
        database: str = "",
        organization: str = "",
        target: str = "",
        now: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Rotating a group's keys invalidates every token of the group; rotating one database alone
        (``database``, a tech-preview database) only that database's tokens."""
        if bool(group) == bool(database):
            raise InputError("mark_revoked: give a group or a database (not both)")
        with self._locked():
            return self._mark_revoked(group, database, organization, target, now)

    def _mark_revoked(
        self, group: str, database: str, organization: str, target: str, now: datetime | None
    ) -> list[LedgerEntry]:
        stamp = utc_stamp(now or datetime.now(UTC))
        changed: list[LedgerEntry] = []
        updated: list[LedgerEntry] = []
        for entry in self.entries():
            if database:
                same = entry.scope == "database" and entry.database == database
            else:
                same = entry.group == group and entry.scope != "api"  # not signed by its keys
            same = same and entry.revoked_at is None
            same = same and entry.organization == organization and entry.target == target
            if same:
                entry = replace(entry, revoked_at=stamp)
                changed.append(entry)
            updated.append(entry)
        if changed:
            self._save(updated)
        return changed


def _append_line(path: Path, data: bytes) -> int:
    """Append ``data`` to ``path`` (0600, fsynced), after cutting a line a crash left unfinished; its size."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            complete = os.pread(fd, size, 0).rfind(b"\n") + 1
            os.ftruncate(fd, complete)
        os.write(fd, data)
        os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def _identity(entry: LedgerEntry) -> tuple[str, ...]:
    """The token an entry is of (its revocation may differ between the ledger and the journal)."""
    return (
        entry.fingerprint,
        entry.created_at,
        entry.scope,
        entry.database,
        entry.group,
        entry.organization,
        entry.target,
        entry.name,
    )


def utc_stamp(moment: datetime | None) -> str | None:
    """``2026-12-05T10:42:00Z`` (the ledger's dates); None for None."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _spent_session(entry: LedgerEntry, now: datetime) -> bool:
    expires = entry.expires
    return entry.kind == "session" and expires is not None and expires <= now

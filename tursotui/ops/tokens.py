"""Database/group tokens: expiration input, reading a JWT's claims, and a local ledger.

Turso tokens are stateless JWTs: the server cannot list them. The ledger
(``<data_dir>/token-ledger.json``, mode 0600, written atomically) remembers what this tool issued
so the console can warn before they expire. It holds METADATA ONLY (scope, authorization, dates
and a fingerprint: the first 8 hex digits of the SHA-256 of the JWT's signature), never a token.
Every token tursotui mints has an expiry and an entry: ``issued`` (shown once or written to .env)
or ``session`` (tursotui's own, in memory, a day; dropped from the ledger once expired).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.leftovers import pid_alive
from tursotui.ops.token_claims import Authorization, TokenClaims, decode_claims
from tursotui.support.atomic import atomic_write
from tursotui.support.names import parse_duration

LEDGER_FILE = "token-ledger.json"
LEDGER_VERSION = 1
EXPIRY_WARNING = timedelta(days=7)
DEFAULT_EXPIRATION = "90d"

__all__ = [
    "Authorization",
    "Expiration",
    "LedgerEntry",
    "TokenClaims",
    "TokenLedger",
    "TokenWarning",
    "decode_claims",
    "entry_for",
    "expiry_warnings",
    "fingerprint",
    "parse_expiration",
]

Scope = Literal["database", "group", "api"]
"""``api``: a Platform API token (``api-tokens create``), named by ``name``."""
Kind = Literal["issued", "session"]
"""``issued``: handed to the operator or written to .env. ``session``: minted by tursotui for its
own use (a console session, a backup, an import), held in memory only, short-lived."""


# -- expirations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiration:
    """A token lifetime: ``text`` as the API takes it (``never``, ``90d``, ``2w1d30m``)."""

    text: str
    seconds: int | None
    """``None`` for never."""

    def expires_at(self, issued: datetime) -> datetime | None:
        return None if self.seconds is None else issued + timedelta(seconds=self.seconds)


def parse_expiration(text: str | None) -> Expiration:
    """Validate a user's expiration: ``never`` or weeks/days/hours/minutes/seconds parts."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return Expiration((text or "").strip().lower(), seconds)


# -- claims (tursotui.ops.token_claims) and fingerprints ------------------------------------------


def fingerprint(token: str) -> str:
    """First 8 hex digits of the SHA-256 of the JWT's signature: names a token, reveals nothing."""
    signature = token.strip().rsplit(".", 1)[-1]
    return hashlib.sha256(signature.encode("ascii", "replace")).hexdigest()[:8]


# -- ledger --------------------------------------------------------------------------------------


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
        return asdict(self)

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


def entry_for(
    token: str,
    *,
    scope: Scope,
    database: str,
    group: str,
    organization: str = "",
    target: str = "",
    expiration: Expiration | None = None,
    now: datetime | None = None,
    kind: Kind = "issued",
    name: str = "",
    authorization: Authorization | None = None,
) -> LedgerEntry:
    """The ledger entry of a freshly issued ``token`` (dates from its claims when present)."""
    moment = now or datetime.now(UTC)
    try:
        claims = decode_claims(token)
    except InputError:
        claims = TokenClaims()
    created = claims.issued_at or moment
    expires = claims.expires_at or (expiration.expires_at(created) if expiration else None)
    return LedgerEntry(
        fingerprint=fingerprint(token),
        scope=scope,
        database=database if scope == "database" else "",
        group=group,
        authorization=authorization or claims.authorization,
        created_at=_iso(created) or "",
        expires_at=_iso(expires),
        organization=organization,
        target=target,
        kind=kind,
        holder_pid=os.getpid() if kind == "session" else None,
        name=name,
    )


class TokenLedger:
    """The JSON ledger file. A damaged file is reported, never silently replaced."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> TokenLedger:
        return cls(data_dir / LEDGER_FILE)

    def entries(self) -> list[LedgerEntry]:
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

    def _save(self, entries: Iterable[LedgerEntry]) -> None:
        body = {"version": LEDGER_VERSION, "tokens": [e.to_json() for e in entries]}
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
        try:
            atomic_write(self.path, text.encode("utf-8"), mode=0o600)
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
        """Add ``entry``; session tokens that have expired are dropped (they open nothing)."""
        moment = now or datetime.now(UTC)
        with self._locked():
            kept = [e for e in self.entries() if not _spent_session(e, moment)]
            self._save([*kept, entry])

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
        stamp = _iso(now or datetime.now(UTC))
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


@dataclass(frozen=True)
class TokenWarning:
    entry: LedgerEntry
    kind: Literal["expiring", "expired"]
    remaining: timedelta

    @property
    def message(self) -> str:
        if self.kind == "expired":
            return f"the {self.entry.authorization} token {self.entry.fingerprint} for {self.entry.subject} has expired"
        hours = self.remaining.total_seconds() / 3600
        count, unit = (round(hours / 24), "day") if hours >= 24 else (round(max(hours, 0)), "hour")
        when = f"{count} {unit}{'s' if count != 1 else ''}"
        return f"the {self.entry.authorization} token {self.entry.fingerprint} for {self.entry.subject} expires in {when}"


def expiry_warnings(
    entries: Iterable[LedgerEntry],
    *,
    now: datetime | None = None,
    within: timedelta = EXPIRY_WARNING,
    expired_for: timedelta = timedelta(days=30),
) -> list[TokenWarning]:
    """Tokens that expire within ``within`` (or expired in the last ``expired_for``), soonest
    first; revoked tokens and tokens that never expire are left out."""
    moment = now or datetime.now(UTC)
    warnings = []
    for entry in entries:
        expires = entry.expires
        if entry.revoked_at is not None or expires is None:
            continue
        remaining = expires - moment
        if entry.kind == "session":
            # Minted per use and renewed by minting again: worth a warning only when one has
            # expired in a process that still holds it.
            holder = entry.holder_pid
            if remaining <= timedelta(0) and holder is not None and pid_alive(holder):
                warnings.append(TokenWarning(entry, "expired", remaining))
            continue
        if remaining <= timedelta(0):
            if -remaining <= expired_for:
                warnings.append(TokenWarning(entry, "expired", remaining))
        elif remaining <= within:
            warnings.append(TokenWarning(entry, "expiring", remaining))
    return sorted(warnings, key=lambda w: w.remaining)


def _iso(moment: datetime | None) -> str | None:
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

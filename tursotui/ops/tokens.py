"""Database/group tokens: expiration input, reading a JWT's claims, and the local ledger.

Turso tokens are stateless JWTs: the server cannot list them. The ledger (``ops/token_ledger.py``:
``<data_dir>/token-ledger.json``, mode 0600, written atomically, and a journal for bulk mints) remembers what
this tool issued so the console can warn before they expire. It holds METADATA ONLY (scope, authorization,
dates and a fingerprint: the first 8 hex digits of the SHA-256 of the JWT's signature), never a token.
Every token tursotui mints has an expiry and an entry: ``issued`` (shown once or written to .env)
or ``session`` (tursotui's own, in memory, a day; dropped from the ledger once expired).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tursotui.ops.errors import InputError
from tursotui.ops.leftovers import pid_alive
from tursotui.ops.token_claims import Authorization, TokenClaims, decode_claims
from tursotui.ops.token_ledger import (
    LEDGER_FILE,
    LEDGER_VERSION,
    Kind,
    LedgerEntry,
    Scope,
    TokenLedger,
    utc_stamp,
)
from tursotui.support.names import parse_duration

EXPIRY_WARNING = timedelta(days=7)
DEFAULT_EXPIRATION = "90d"

__all__ = [
    "LEDGER_FILE",
    "LEDGER_VERSION",
    "Authorization",
    "Expiration",
    "Kind",
    "LedgerEntry",
    "Scope",
    "TokenClaims",
    "TokenLedger",
    "TokenWarning",
    "decode_claims",
    "entry_for",
    "expiry_warnings",
    "fingerprint",
    "parse_expiration",
]


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
        created_at=utc_stamp(created) or "",
        expires_at=utc_stamp(expires),
        organization=organization,
        target=target,
        kind=kind,
        holder_pid=os.getpid() if kind == "session" else None,
        name=name,
    )


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

"""Token expiry warnings: the ledger's tokens of this org, and the token in .env (the console's banner shows them).

The token the app itself uses (``TURSO_AUTH_TOKEN``) matters most: when it expires the xSwarm app stops. Its
claims are read without trusting them (display only); it is named by fingerprint, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tursotui.ops.errors import OpsError
from tursotui.ops.tokens import (
    EXPIRY_WARNING,
    TokenLedger,
    decode_claims,
    expiry_warnings,
    fingerprint,
)


@dataclass(frozen=True)
class TokenAlerts:
    messages: tuple[str, ...]
    expired: int
    expiring: int

    @property
    def badge(self) -> str:
        """``⚠ 1 token expired · 2 expiring (4: Tokens)``; empty when all is well."""
        parts = []
        if self.expired:
            parts.append(f"{self.expired} token{'s' if self.expired != 1 else ''} expired")
        if self.expiring:
            parts.append(f"{self.expiring} expiring")
        return f"⚠ {' · '.join(parts)} (4: Tokens)" if parts else ""


def _when(remaining: timedelta) -> str:
    hours = remaining.total_seconds() / 3600
    count, unit = (round(hours / 24), "day") if hours >= 24 else (round(max(hours, 0)), "hour")
    return f"{count} {unit}{'s' if count != 1 else ''}"


def token_alerts(
    *, auth_token: str | None, ledger: TokenLedger, organization: str, target: str, now: datetime
) -> TokenAlerts:
    """Expired/expiring tokens: ``auth_token`` (the configured TURSO_AUTH_TOKEN) first, then the ledger's
    tokens of ``organization`` on ``target``, soonest first."""
    messages: list[str] = []
    expired = expiring = 0
    seen: set[str] = set()
    token = auth_token
    if token:
        try:
            claims = decode_claims(token)
        except OpsError:
            claims = None
        if claims is not None and claims.expires_at is not None:
            remaining = claims.expires_at - now
            seen.add(fingerprint(token))
            where = f"TURSO_AUTH_TOKEN in .env ({fingerprint(token)})"
            if remaining <= timedelta(0):
                expired += 1
                messages.append(f"{where} has expired: mint a new one (4: Tokens, n)")
            elif remaining <= EXPIRY_WARNING:
                expiring += 1
                messages.append(f"{where} expires in {_when(remaining)}")
    try:
        entries = ledger.entries()
    except OpsError:
        entries = []  # the Tokens pane reports a damaged ledger
    mine = [
        e
        for e in entries
        if (e.organization, e.target) in ((organization, target), ("", ""))
        and e.fingerprint not in seen
    ]
    for warning in expiry_warnings(mine, now=now):
        if warning.kind == "expired":
            expired += 1
        else:
            expiring += 1
        messages.append(warning.message)
    return TokenAlerts(tuple(messages), expired, expiring)

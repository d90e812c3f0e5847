"""What a database or group token says about itself: its claims read WITHOUT checking the signature.

sqld (the server Turso Cloud runs) reads three claims to authorize a request (libsql-server
``auth/user_auth_strategies/jwt.rs``): ``id`` (the one database a legacy token is for), ``a`` (its access:
``ro`` read-only, ``rw`` or nothing full access, ``roa`` attach read-only) and ``p``, the permissions by
database: ``{"rw": {"ns": [...]}, "ro": {...}, "roa": {...}, "rwa": {...}}`` (``auth/authorized.rs``). When
``p`` is present sqld ignores ``a`` and ``id`` altogether. Turso Cloud's tokens also carry ``gid`` (the
group a group token is for); a token minted with ``permissions.read_attach`` (turso-cli ``--attach``) lists
the databases it may ``ATTACH`` under ``p.roa``. Fine-grained rules (turso-cli ``-p all:data_read``) and any
other part of ``p`` this module does not know are kept and shown as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tursotui.ops.errors import InputError

Authorization = Literal["full-access", "read-only"]

LEVELS: tuple[tuple[str, str], ...] = (
    ("rw", "read and write"),
    ("ro", "read only"),
    ("rwa", "read, write and ATTACH"),
    ("roa", "read_attach: ATTACH read-only"),
)
"""The keys of ``p`` sqld knows, each with what it grants on the databases it lists."""
WRITE_LEVELS = frozenset({"rw", "rwa"})


@dataclass(frozen=True)
class TokenPermissions:
    """The ``p`` claim: which databases (sqld's namespaces) each access level covers."""

    namespaces: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """``rw``/``ro``/``rwa``/``roa`` -> the databases listed under it (only the levels present)."""
    other: dict[str, Any] = field(default_factory=dict)
    """Keys of ``p`` that are not one of :data:`LEVELS` (fine-grained rules…), as the token has them."""

    @classmethod
    def from_claim(cls, value: Any) -> TokenPermissions:
        if not isinstance(value, dict):
            return cls(other={"p": value})
        namespaces: dict[str, tuple[str, ...]] = {}
        other: dict[str, Any] = {}
        for key, scope in value.items():
            listed = scope.get("ns") if isinstance(scope, dict) else None
            if key in dict(LEVELS) and (listed is None or isinstance(listed, list)):
                namespaces[key] = tuple(str(n) for n in listed or ())
                extra = {k: v for k, v in scope.items() if k != "ns"}
                if extra:
                    other[key] = extra
            else:
                other[key] = scope
        return cls(namespaces, other)

    @property
    def writes(self) -> bool:
        """Whether some database may be written with it."""
        return any(self.namespaces.get(level) for level in WRITE_LEVELS)

    def access_to(self, names: Collection[str]) -> Authorization | None:
        """The access it gives to a database known by any of ``names`` (its name, its id), or None."""
        wanted = {n for n in names if n}
        levels = {level for level, listed in self.namespaces.items() if wanted & set(listed)}
        if levels & WRITE_LEVELS:
            return "full-access"
        return "read-only" if levels else None

    def lines(self) -> list[str]:
        """One line per level present, then the parts it does not know, for display."""
        described = dict(LEVELS)
        shown = [
            f"{level} ({described[level]}): {', '.join(names) or '(no database)'}"
            for level, _ in LEVELS
            if (names := self.namespaces.get(level)) is not None
        ]
        shown += [
            f"{key}: {json.dumps(value, sort_keys=True)}" for key, value in self.other.items()
        ]
        return shown or ["(empty: no database)"]

    def to_json(self) -> dict[str, Any]:
        return {
            **{level: list(names) for level, names in self.namespaces.items()},
            **({"other": self.other} if self.other else {}),
        }


@dataclass(frozen=True)
class TokenClaims:
    """What a JWT says about itself, read WITHOUT checking its signature: display only."""

    algorithm: str = ""
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    authorization: Authorization = "full-access"
    """What sqld grants: from ``p`` when present (full access when it lists a database under ``rw``/``rwa``),
    else from ``a`` (``ro``/``roa`` read-only, anything else full access)."""
    database_id: str = ""
    """The ``id`` claim (database scope), empty for group or organization tokens."""
    group_id: str = ""
    claims: dict[str, Any] = field(default_factory=dict)
    access_claim: str = ""
    """The ``a`` claim as the token has it (empty when absent)."""
    permissions: TokenPermissions | None = None
    """The ``p`` claim; when present sqld ignores ``a`` and ``id``."""

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))

    @property
    def access_text(self) -> str:
        """``read-only (a: ro)``, ``full-access (no a claim)``, or ``by database, from p (…)``."""
        if self.permissions is not None:
            ignored = " and ".join(
                f"{name}: {self.claims[name]}" for name in ("a", "id") if name in self.claims
            )
            tail = f"; sqld ignores {ignored}" if ignored else ""
            return f"by database, from p ({self.authorization} at most{tail})"
        source = f"a: {self.access_claim}" if self.access_claim else "no a claim"
        return f"{self.authorization} ({source})"

    def to_json(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "issued_at": _iso(self.issued_at),
            "expires_at": _iso(self.expires_at),
            "authorization": self.authorization,
            "a": self.access_claim or None,
            "id": self.database_id or None,
            "gid": self.group_id or None,
            "permissions": self.permissions.to_json() if self.permissions is not None else None,
            "claims": self.claims,
        }


def _segment(text: str, what: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InputError(f"not a JWT: its {what} is not base64url-encoded JSON") from None


def _time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def decode_claims(token: str) -> TokenClaims:
    """Decode a pasted JWT's header and claims (exp, iat, a, id, gid, p) without verifying it.

    Error messages never repeat the token.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise InputError("not a JWT: expected three dot-separated parts (header.claims.signature)")
    header = _segment(parts[0], "header")
    claims = _segment(parts[1], "claims part")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InputError("not a JWT: the header and claims must be JSON objects")
    access = claims.get("a")
    permissions = TokenPermissions.from_claim(claims["p"]) if "p" in claims else None
    if permissions is not None:
        authorization: Authorization = "full-access" if permissions.writes else "read-only"
    else:
        authorization = "read-only" if access in ("ro", "roa") else "full-access"
    return TokenClaims(
        algorithm=str(header.get("alg", "")),
        issued_at=_time(claims.get("iat")),
        expires_at=_time(claims.get("exp")),
        authorization=authorization,
        database_id=str(claims.get("id") or ""),
        group_id=str(claims.get("gid") or ""),
        claims=claims,
        access_claim="" if access is None else str(access),
        permissions=permissions,
    )


def database_access(
    claims: TokenClaims, *, names: Collection[str], groups: Collection[str]
) -> Authorization | None:
    """The access ``claims`` give to one database, known by ``names`` (its name and id) in a group known by
    ``groups`` (its name and uuid); None when the token is for another database or group.

    As sqld decides: ``p`` alone when present; else ``id`` must name the database, or ``gid`` its group; a
    token with none of the three is not attributed to any database here (None)."""
    if claims.permissions is not None:
        return claims.permissions.access_to(names)
    wanted = {n for n in names if n}
    if claims.database_id:
        return claims.authorization if claims.database_id in wanted else None
    if claims.group_id:
        return claims.authorization if claims.group_id in {g for g in groups if g} else None
    return None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

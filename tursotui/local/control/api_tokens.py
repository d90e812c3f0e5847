"""Platform API tokens of the local Turso, as Turso Cloud has them since 2026-05.

A token is minted at one of three levels (spec ``createAPIToken``; turso-cli ``auth api-tokens mint``):

- **unrestricted** (deprecated by Turso): no body; here it acts on the one local organization;
- **organization-scoped**: ``organization``; everything inside that organization;
- **group-scoped**: ``organization`` + ``group`` + ``scopes``; only the operations its scopes name, only
  inside that group. The scopes are turso-cli's ``AllScopes`` (internal/turso/apitoken_scope.go), the same
  as the spec's enum; the presets ``read-only`` (``read``) and ``full-access`` (every scope) are stored
  expanded, as the spec says they are returned.

The secret is an EdDSA JWT (``iat``, ``jti``: the token id, ``exp`` when it expires), shown once in the create
answer. Only its SHA-256 is kept, in ``api-tokens.json`` (0600, written atomically), with the name, scope,
dates and, once revoked, when. Turso Cloud's API tokens never expire ("revocable non-expiring tokens",
turso-cli); the local Turso also takes ``?expiration=`` (local only, the database tokens' format) so the
expiry path can be tested.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tursotui.local.control.keys import SigningKey
from tursotui.local.errors import ApiError
from tursotui.platform.api_token_scopes import (
    PRESET_SCOPES,
    SCOPES,
    scope_problem,
    token_name_problem,
)
from tursotui.support.atomic import atomic_write

TOKENS_FILE = "api-tokens.json"
KEY_FILE = Path("keys") / "api-tokens.pem"
OWNER = "local"
"""The one user of the local organization (a personal organization's slug is its owner's username)."""


def day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def moment(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_token_name(name: str) -> str:
    """400 unless ``name`` is 1 to 64 letters, digits, dots, dashes or underscores (a local rule: the spec
    sets none; it is a path segment)."""
    if problem := token_name_problem(name):
        raise ApiError(400, problem)
    return name


def expand_scopes(raw: object) -> list[str]:
    """The scopes of a create body, presets expanded, in turso-cli's order; 400 naming a bad one."""
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise ApiError(400, "scopes must be a non-empty list of strings for a group-scoped token")
    wanted: set[str] = set()
    for scope in raw:
        if problem := scope_problem(scope):
            raise ApiError(400, problem)
        wanted.update(PRESET_SCOPES.get(scope, (scope,)))
    return [s for s in SCOPES if s in wanted]


def _hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _new_id() -> str:
    """22 characters of URL-safe base64, like the spec's example id ``clGFZ4STEe6fljpFzIum8A``."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


@dataclass
class ApiTokenRecord:
    """What is kept of a token: never the secret, only its SHA-256."""

    id: str
    name: str
    sha256: str
    created_at: float
    organization: str | None = None
    """None: unrestricted (deprecated)."""
    group: str | None = None
    scopes: list[str] = field(default_factory=list)
    expires_at: float | None = None
    revoked_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The spec's ``APIToken``; ``expires_at`` is the local Turso's own (absent: never)."""
        body: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "created_at": day(self.created_at),
        }
        if self.organization is not None:
            body["organization"] = self.organization
        if self.group is not None:
            body["group"] = self.group
            body["scopes"] = list(self.scopes)
        if self.expires_at is not None:
            body["expires_at"] = moment(self.expires_at)
        return body


@dataclass(frozen=True)
class Principal:
    """Who sent a request: the local Turso's own token (the owner) or an API token."""

    name: str
    token_id: str | None = None
    organization: str | None = None
    group: str | None = None
    scopes: frozenset[str] = frozenset()
    expires_at: float | None = None

    @property
    def group_scoped(self) -> bool:
        return self.group is not None

    def exp(self) -> int:
        """``GET /v1/auth/validate``'s ``exp``: unix seconds, or -1 for never."""
        return -1 if self.expires_at is None else int(self.expires_at)

    @classmethod
    def of(cls, record: ApiTokenRecord) -> Principal:
        return cls(
            name=record.name,
            token_id=record.id,
            organization=record.organization,
            group=record.group,
            scopes=frozenset(record.scopes),
            expires_at=record.expires_at,
        )


OWNER_PRINCIPAL = Principal(name=OWNER)


class ApiTokenStore:
    """The API tokens of a data dir (``api-tokens.json``), loaded on first use."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = data_dir / TOKENS_FILE
        self.key_path = data_dir / KEY_FILE
        self.clock = clock
        self._records: list[ApiTokenRecord] | None = None
        self._by_hash: dict[str, ApiTokenRecord] = {}

    # --- storage ---

    def records(self) -> list[ApiTokenRecord]:
        if self._records is None:
            self._records = self._load()
            self._by_hash = {r.sha256: r for r in self._records}
        return self._records

    def _load(self) -> list[ApiTokenRecord]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise self._corrupt(exc) from None
        try:
            if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
                raise TypeError("expected an object with a 'tokens' list")
            return [ApiTokenRecord(**item) for item in data["tokens"]]
        except TypeError as exc:
            raise self._corrupt(exc) from None

    def _corrupt(self, exc: Exception) -> ApiError:
        return ApiError(
            500,
            f"{self.path} cannot be read ({exc}); nothing was changed: fix it or move it away "
            "(every API token it held then stops working)",
        )

    def _save(self, records: Iterable[ApiTokenRecord]) -> None:
        body = {"tokens": [asdict(r) for r in records]}
        text = json.dumps(body, indent=1, sort_keys=True) + "\n"
        atomic_write(self.path, text.encode("utf-8"), mode=0o600)

    def _key(self) -> SigningKey:
        if self.key_path.exists():
            return SigningKey.from_pem(self.key_path.read_bytes())
        key = SigningKey.generate()
        atomic_write(self.key_path, key.private_pem(), mode=0o600)
        return key

    # --- tokens ---

    def active(self) -> list[ApiTokenRecord]:
        """Every token not revoked (expired ones included: they can still be listed and revoked)."""
        return [r for r in self.records() if r.revoked_at is None]

    def named(self, name: str) -> ApiTokenRecord:
        for record in self.active():
            if record.name == name:
                return record
        raise ApiError(404, f"API token {name} not found")

    def with_id(self, token_id: str) -> ApiTokenRecord:
        for record in self.active():
            if record.id == token_id:
                return record
        raise ApiError(404, f"API token with id {token_id} not found")

    def create(
        self,
        name: str,
        *,
        organization: str | None,
        group: str | None,
        scopes: list[str],
        expires_in: int | None,
    ) -> tuple[ApiTokenRecord, str]:
        """A new token and its secret (the only time the secret exists outside the caller)."""
        check_token_name(name)
        if any(r.name == name for r in self.active()):
            raise ApiError(
                409, f"an API token named {name} already exists: revoke it or pick another name"
            )
        issued = self.clock()
        token_id = _new_id()
        expires_at = None if expires_in is None else float(int(issued) + expires_in)
        secret = self._key().mint(expires_in=expires_in, extra={"jti": token_id}, now=issued)
        record = ApiTokenRecord(
            id=token_id,
            name=name,
            sha256=_hash(secret),
            created_at=issued,
            organization=organization,
            group=group,
            scopes=list(scopes) if group is not None else [],
            expires_at=expires_at,
        )
        records = [*self.records(), record]
        self._save(records)  # a full disk refuses here: no token exists
        self._records = records
        self._by_hash[record.sha256] = record
        return record, secret

    def revoke(self, record: ApiTokenRecord) -> None:
        """From now on the token gets 401; the record stays (its hash only) to say so."""
        record.revoked_at = self.clock()
        try:
            self._save(self.records())
        except OSError:
            record.revoked_at = None
            raise

    def authenticate(self, secret: str) -> Principal:
        """The principal of an API token; 401 when it is unknown, revoked or expired."""
        self.records()
        record = self._by_hash.get(_hash(secret))
        if record is None:
            raise ApiError(401, "invalid API token for the local Turso")
        if record.revoked_at is not None:
            raise ApiError(
                401, f"API token {record.name} was revoked at {moment(record.revoked_at)}"
            )
        if record.expires_at is not None and record.expires_at <= self.clock():
            raise ApiError(401, f"API token {record.name} expired at {moment(record.expires_at)}")
        return Principal.of(record)


__all__ = [
    "OWNER",
    "OWNER_PRINCIPAL",
    "PRESET_SCOPES",
    "SCOPES",
    "ApiTokenRecord",
    "ApiTokenStore",
    "Principal",
    "check_token_name",
    "expand_scopes",
]

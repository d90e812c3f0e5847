"""Typed models of tokens and audit logs. Secrets (JWTs, minted API tokens) never show in ``repr``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tursotui.platform._json import Obj
from tursotui.platform.models import parse_timestamp
from tursotui.support.redact import mask


@dataclass(frozen=True)
class DatabaseToken:
    """A database or group token (a stateless JWT; it cannot be listed or revoked one by one)."""

    jwt: str = field(repr=False)

    def __repr__(self) -> str:
        return f"DatabaseToken(jwt={mask(self.jwt)!r})"

    __str__ = __repr__

    @classmethod
    def from_json(cls, data: object) -> DatabaseToken:
        return cls(jwt=Obj(data, "token response").req_text("jwt"))


@dataclass(frozen=True)
class ApiToken:
    """A platform API token as listed (its secret is never shown again after creation)."""

    name: str
    id: str = ""
    organization: str = ""
    """Empty for unrestricted (deprecated) tokens."""
    group: str = ""
    scopes: tuple[str, ...] = ()
    created_at: str = ""
    expires_at: str = ""
    """The local Turso's own field (its tokens may expire); Turso Cloud's never do: empty."""

    @classmethod
    def from_json(cls, data: object) -> ApiToken:
        o = Obj(data, "api token")
        return cls(
            name=o.req_text("name"),
            id=o.text("id"),
            organization=o.text("organization"),
            group=o.text("group"),
            scopes=o.str_list("scopes"),
            created_at=o.text("created_at"),
            expires_at=o.text("expires_at"),
        )


@dataclass(frozen=True)
class CreatedApiToken:
    """A freshly minted platform API token. ``token`` is shown once: store it now."""

    name: str
    id: str
    token: str = field(repr=False)

    def __repr__(self) -> str:
        return f"CreatedApiToken(name={self.name!r}, id={self.id!r}, token={mask(self.token)!r})"

    __str__ = __repr__

    @classmethod
    def from_json(cls, data: object) -> CreatedApiToken:
        o = Obj(data, "created api token")
        return cls(name=o.text("name"), id=o.text("id"), token=o.req_text("token"))


@dataclass(frozen=True)
class TokenValidation:
    """``GET /v1/auth/validate``: when the platform token expires (``exp`` is ``-1`` for never)."""

    exp: int

    @property
    def never_expires(self) -> bool:
        return self.exp < 0

    @property
    def expires_at(self) -> datetime | None:
        return None if self.never_expires else datetime.fromtimestamp(self.exp, UTC)

    @classmethod
    def from_json(cls, data: object) -> TokenValidation:
        o = Obj(data, "token validation")
        return cls(exp=o.integer("exp", default=-1))


@dataclass(frozen=True)
class AuditLog:
    code: str
    message: str = ""
    origin: str = ""
    """``cli`` or ``web``."""
    author: str = ""
    created_at: str = ""
    data: Mapping[str, object] = field(default_factory=dict, hash=False, compare=False)

    @property
    def created(self) -> datetime | None:
        return parse_timestamp(self.created_at)

    @classmethod
    def from_json(cls, data: object) -> AuditLog:
        o = Obj(data, "audit log")
        payload = o.obj("data")
        return cls(
            code=o.text("code"),
            message=o.text("message"),
            origin=o.text("origin"),
            author=o.text("author"),
            created_at=o.text("created_at"),
            data=dict(payload.data) if payload else {},
        )


@dataclass(frozen=True)
class AuditLogPage:
    """One page of audit logs, newest first."""

    entries: tuple[AuditLog, ...]
    page: int = 1
    page_size: int = 0
    total_pages: int = 1
    total_rows: int = 0

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages

    @classmethod
    def from_json(cls, data: object) -> AuditLogPage:
        o = Obj(data, "audit logs")
        entries = tuple(AuditLog.from_json(item) for item in o.objs("audit_logs"))
        pagination = o.obj("pagination")
        if pagination is None:
            return cls(entries=entries, page_size=len(entries), total_rows=len(entries))
        return cls(
            entries=entries,
            page=pagination.integer("page", default=1),
            page_size=pagination.integer("page_size", default=len(entries)),
            total_pages=pagination.integer("total_pages", default=1),
            total_rows=pagination.integer("total_rows", default=len(entries)),
        )

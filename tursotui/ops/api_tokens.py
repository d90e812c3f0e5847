"""Platform API tokens: list, create (organization-wide, or group-scoped with scopes) and revoke.

What the CLI's ``api-tokens`` command does, and what the console will call. Turso's own words and rules:
the scopes are turso-cli's (``internal/turso/apitoken_scope.go``, the spec's enum), ``read-only`` and
``full-access`` are presets the server expands, a group needs at least one scope and scopes need a group
(turso-cli ``auth api-tokens mint``). Every token is created for the configured organization: the spec
deprecates unrestricted tokens.

A new token's secret is returned once (:class:`NewApiToken`) and never stored or logged here. Turso Cloud's
API tokens never expire (the one documented exception to "every minted token expires"); the local Turso
takes an expiration and gets ``DEFAULT_EXPIRATION`` when none is asked. One asked of Turso Cloud is refused
before anything is sent, and a server that ignores it has the token revoked at once. Every token created gets
a metadata-only ledger entry (scope ``api``) when a ledger is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.tokens import (
    DEFAULT_EXPIRATION,
    TokenClaims,
    TokenLedger,
    decode_claims,
    entry_for,
    parse_expiration,
)
from tursotui.platform import ApiToken, PlatformClient
from tursotui.platform.api_token_scopes import (
    PRESET_SCOPES,
    SCOPES,
    scope_problem,
    token_name_problem,
)

PRESETS: tuple[str, ...] = tuple(PRESET_SCOPES)


def check_token_name(name: str) -> str:
    name = name.strip()
    if problem := token_name_problem(name):
        raise InputError(problem)
    return name


def check_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    """The scopes as given (duplicates dropped); an unknown one is named with the allowed ones."""
    out: list[str] = []
    for raw in scopes:
        scope = raw.strip()
        if problem := scope_problem(scope):
            raise InputError(problem)
        if scope not in out:
            out.append(scope)
    return tuple(out)


def scope_of(token: ApiToken) -> str:
    """Where a token may act: ``all`` (unrestricted), ``<org>`` or ``<org>/<group>`` (turso-cli's column)."""
    if not token.organization:
        return "all"
    return f"{token.organization}/{token.group}" if token.group else token.organization


def permissions_of(token: ApiToken) -> str:
    """``read-only``, ``full-access`` or the scopes; ``-`` when the token is not group-scoped."""
    scopes = set(token.scopes)
    if not scopes:
        return "-"
    if scopes == {"read"}:
        return "read-only"
    if scopes == set(SCOPES):
        return "full-access"
    return ", ".join(s for s in SCOPES if s in scopes) or ", ".join(sorted(scopes))


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "id": token.id,
        "organization": token.organization or None,
        "group": token.group or None,
        "scopes": list(token.scopes),
        "scope": scope_of(token),
        "permissions": permissions_of(token),
        "created_at": token.created_at,
        "expires_at": token.expires_at or None,
    }


@dataclass(frozen=True)
class NewApiToken:
    """A token just created: ``token`` is its secret, shown once."""

    name: str
    id: str
    token: str = field(repr=False)
    organization: str
    group: str | None
    scopes: tuple[str, ...]
    expires_at: datetime | None

    def describe(self) -> str:
        where = f"group {self.group} of {self.organization}" if self.group else self.organization
        scopes = f" with scopes {', '.join(self.scopes)}" if self.group else ""
        expires = (
            self.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            if self.expires_at
            else "never (Turso Cloud's API tokens cannot expire: revoke it when no longer needed)"
        )
        return f"API token {self.name} (id {self.id}) for {where}{scopes}, expires {expires}"

    def to_json(self, *, include_token: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "organization": self.organization,
            "group": self.group,
            "scopes": list(self.scopes),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }
        if include_token:
            body["token"] = self.token
        return body


async def list_api_tokens(platform: PlatformClient) -> list[ApiToken]:
    return await platform.list_api_tokens()


async def find_api_token(platform: PlatformClient, name: str) -> ApiToken:
    """The token named ``name``; :class:`OpsError` naming the ones there are when none is."""
    tokens = await platform.list_api_tokens()
    for token in tokens:
        if token.name == name:
            return token
    names = ", ".join(sorted(t.name for t in tokens)) or "none"
    raise OpsError(f"no API token named {name!r} (there are: {names}); nothing was revoked")


async def create_api_token(
    platform: PlatformClient,
    name: str,
    *,
    group: str | None = None,
    scopes: Sequence[str] = (),
    expiration: str | None = None,
    target: str = "",
    ledger: TokenLedger | None = None,
) -> NewApiToken:
    """Create a token for the configured organization, scoped to ``group`` with ``scopes`` when given;
    on the local Turso it expires (``DEFAULT_EXPIRATION`` unless ``expiration`` says otherwise). Its
    metadata (never the token) goes to ``ledger``."""
    name = check_token_name(name)
    wanted = check_scopes(scopes)
    if group is not None and not wanted:
        raise InputError(
            f"a group-scoped token needs at least one --scope (one of {', '.join(SCOPES)}, "
            "or read-only / full-access)"
        )
    if group is None and wanted:
        raise InputError("--scope is only for a group-scoped token: add --group G")
    if expiration is None and target == "local":
        expiration = DEFAULT_EXPIRATION
    lifetime = parse_expiration(expiration) if expiration is not None else None
    expires = lifetime is not None and lifetime.seconds is not None
    if expires and target == "cloud":
        raise InputError(
            "Turso Cloud's API tokens do not expire (its API takes no expiration): leave out "
            "--expiration and revoke the token when it is no longer needed"
        )
    organization = platform.organization
    if not organization:
        raise InputError("no organization: set [turso] organization (or --organization)")
    created = await platform.create_api_token(
        name,
        organization=organization,
        group=group,
        scopes=wanted or None,
        expiration=lifetime.text if lifetime is not None and expires else None,
    )
    claims: TokenClaims | None = None
    if created.token.count(".") == 2:
        try:
            claims = decode_claims(created.token)
        except InputError:  # three parts but not base64 JSON: its expiry is unknown
            claims = None
    expires_at = claims.expires_at if claims is not None else None
    if expires and expires_at is None:
        await platform.revoke_api_token(created.name)
        raise OpsError(
            f"the server did not confirm the expiration {lifetime.text if lifetime else ''} (the token "
            f"it made states none); it was revoked at once ({created.name}): "
            "create it without --expiration"
        )
    if ledger is not None:
        ledger.record(
            entry_for(
                created.token,
                scope="api",
                database="",
                group=group or "",
                organization=organization,
                target=target,
                name=created.name or name,
                authorization="read-only"
                if set(wanted) in ({"read"}, {"read-only"})
                else "full-access",
            )
        )
    return NewApiToken(
        name=created.name or name,
        id=created.id,
        token=created.token,
        organization=organization,
        group=group,
        scopes=wanted,
        expires_at=expires_at,
    )


async def revoke_api_token(platform: PlatformClient, name: str) -> str:
    """Revoke the token named ``name`` (from then on it gets 401); returns the name."""
    return await platform.revoke_api_token(check_token_name(name))


__all__ = [
    "PRESETS",
    "SCOPES",
    "NewApiToken",
    "check_scopes",
    "check_token_name",
    "create_api_token",
    "find_api_token",
    "list_api_tokens",
    "permissions_of",
    "revoke_api_token",
    "scope_of",
    "token_json",
]

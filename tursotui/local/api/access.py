"""Who may do what on the local Turso's Platform API: the bearer token's principal, then its scopes.

The local Turso's own token (``api-token``, the owner's) and organization-scoped or unrestricted API tokens
may do everything in the organization. A group-scoped API token (:mod:`tursotui.local.control.api_tokens`)
may act only inside its group and only as its scopes allow (403, Turso's ``{"error": …}`` shape, otherwise):

=====================================  ====================  ==========================================
what                                   scope                 where
=====================================  ====================  ==========================================
validate the token                     (any)                 —
read the organization, its locations   ``read``              —
list databases / groups                ``read``              narrowed to its group
read a database or group               ``read``              its group only
create a database (any seed)           ``db:create``         the body's ``group`` must be its group, and
                                                             a seed's source database must be in it
delete a database                      ``db:delete``         its group only
change a database's configuration      ``db:configure``      (also taking a local recovery point)
mint / rotate a database's tokens      ``db:mint-token`` / ``db:rotate-creds``
locations, unarchive a group           ``group:configure``   its group only
mint / rotate a group's tokens         ``group:mint-token`` / ``group:rotate-creds``
(a minted token's ``read_attach``)     (as the mint)         every database it names must be in its group
create or delete groups; usage, plans,  never                 (organization-wide; 403)
subscription, audit logs, API tokens
=====================================  ====================  ==========================================

A route this table does not know is readable with ``read`` (in the token's group when its path names a
database or group) and refused to a group-scoped token otherwise: new routes are closed until named here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.types import Message

from tursotui.local.api.jsonbody import parse_object, read_limited
from tursotui.local.control.api_tokens import OWNER_PRINCIPAL, ApiTokenStore, Principal
from tursotui.local.control.audit import AuditLog
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.tokens import attach_namespaces, parse_read_attach
from tursotui.local.errors import ApiError

Target = Literal["any", "org", "list", "db", "group", "new-db", "admin"]


@dataclass(frozen=True)
class Need:
    scope: str | None
    target: Target


ANY = Need(None, "any")
ADMIN = Need(None, "admin")
NEEDS: dict[str, Need] = {
    "validate_token": ANY,
    "list_organizations": Need("read", "org"),
    "get_organization": Need("read", "org"),
    "list_locations": Need("read", "org"),
    "list_databases": Need("read", "list"),
    "list_groups": Need("read", "list"),
    "get_database": Need("read", "db"),
    "get_configuration": Need("read", "db"),
    "list_instances": Need("read", "db"),
    "get_instance": Need("read", "db"),
    "database_usage": Need("read", "db"),
    "database_stats": Need("read", "db"),
    "top_queries": Need("read", "db"),
    "replication": Need("read", "db"),
    "list_recovery_points": Need("read", "db"),
    "get_group": Need("read", "group"),
    "create_database": Need("db:create", "new-db"),
    "upload_dump": Need("db:create", "org"),
    "delete_database": Need("db:delete", "db"),
    "update_configuration": Need("db:configure", "db"),
    "take_recovery_point": Need("db:configure", "db"),
    "wakeup": Need("db:configure", "db"),
    "create_database_token": Need("db:mint-token", "db"),
    "rotate_database_tokens": Need("db:rotate-creds", "db"),
    "unarchive_group": Need("group:configure", "group"),
    "add_location": Need("group:configure", "group"),
    "remove_location": Need("group:configure", "group"),
    "create_group_token": Need("group:mint-token", "group"),
    "rotate_group_tokens": Need("group:rotate-creds", "group"),
    "local_archive": Need("group:configure", "group"),
    "create_group": ADMIN,
    "delete_group": ADMIN,
    "organization_usage": ADMIN,
    "list_plans": ADMIN,
    "subscription": ADMIN,
    "list_audit_logs": ADMIN,
    "list_api_tokens": ADMIN,
    "create_api_token": ADMIN,
    "create_api_token_v2": ADMIN,
    "revoke_api_token": ADMIN,
    "list_organization_api_tokens": ADMIN,
    "revoke_organization_api_token": ADMIN,
}
"""Route handler name -> what it needs from a group-scoped token; anything else: :func:`need_of`."""

MINTS = frozenset({"create_database_token", "create_group_token"})
"""Handlers minting a token whose ``permissions.read_attach`` names databases it may ATTACH."""
BODY_READ_FIRST = frozenset({"create_database", "update_configuration"}) | MINTS
"""Handlers whose JSON body is read before them (the groups to check, the changes to audit)."""


def need_of(handler: str, method: str, path_params: dict[str, str]) -> Need:
    if handler in NEEDS:
        return NEEDS[handler]
    if method in ("GET", "HEAD"):
        if "db" in path_params:
            return Need("read", "db")
        if "group" in path_params:
            return Need("read", "group")
    return ADMIN


def principal_of(request: Request) -> Principal:
    """The principal :meth:`Access.authenticate` found for this request (the owner when none ran)."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else OWNER_PRINCIPAL


def narrowed_to(request: Request) -> str | None:
    """The group a listing is narrowed to: a group-scoped token's, else None (every group)."""
    return principal_of(request).group


def body_of(request: Request) -> dict[str, object] | None:
    """The JSON body read before the handler (:data:`BODY_READ_FIRST`), else None."""
    found = getattr(request.state, "body", None)
    return found if isinstance(found, dict) else None


class Access:
    """Authentication and authorization of the Platform API, and the audit log it writes."""

    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp
        self.tokens = ApiTokenStore(cp.data_dir)
        self.audit = AuditLog(cp.data_dir)

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "missing API token: send 'Authorization: Bearer <local API token>'")
        if hmac.compare_digest(token.encode(), self.cp.api_token.encode()):
            principal = OWNER_PRINCIPAL
        else:
            principal = self.tokens.authenticate(token)
        request.state.principal = principal
        return principal

    async def authorize(self, request: Request, principal: Principal, handler: str) -> Request:
        """403 when ``principal`` may not call ``handler`` here; returns the request to pass on (one
        whose body can be read again when it had to be read first)."""
        if handler in BODY_READ_FIRST:
            request = await self._read_first(request)
        if not principal.group_scoped:
            return request
        need = need_of(handler, request.method, dict(request.path_params))
        who = f"API token {principal.name} is scoped to group {principal.group}"
        if need.target == "admin":
            raise ApiError(
                403,
                f"forbidden: {who}: it cannot {request.method} {request.url.path} "
                "(organization-wide; use an organization token)",
            )
        if need.scope is not None and need.scope not in principal.scopes:
            granted = ", ".join(sorted(principal.scopes)) or "none"
            raise ApiError(
                403, f"forbidden: {who} without the {need.scope} scope (its scopes: {granted})"
            )
        group = self._group_of(request, need.target)
        if group is not None and group != principal.group:
            raise ApiError(
                403, f"forbidden: {who}: {self._what(request, need.target)} is not in it"
            )
        for what, where in self._sources(request, handler):
            if where != principal.group:
                raise ApiError(403, f"forbidden: {who}: {what} is in group {where}, not in it")
        return request

    def _sources(self, request: Request, handler: str) -> list[tuple[str, str]]:
        """The other databases a request reads, with their groups: a create's seed source (a
        branch or a restore) and a mint's ``read_attach`` entries. Names not found are left to
        the handler, which answers 404 or 400."""
        body = body_of(request) or {}
        databases = self.cp.state.databases
        if handler == "create_database":
            seed = body.get("seed")
            if not isinstance(seed, dict) or seed.get("type") != "database":
                return []
            source = seed.get("name") or seed.get("value")
            db = databases.get(source) if isinstance(source, str) else None
            return [] if db is None else [(f"seed source database {db.name}", db.group)]
        if handler in MINTS:
            names = attach_namespaces(databases, parse_read_attach(body))
            return [(f"read_attach database {n}", databases[n].group) for n in names]
        return []

    def _group_of(self, request: Request, target: Target) -> str | None:
        """The group a request acts on (None: none, or not known: the handler answers 404)."""
        params = request.path_params
        if target == "db":
            db = self.cp.state.databases.get(str(params.get("db")))
            return None if db is None else db.group
        if target == "group":
            return str(params.get("group"))
        if target == "list":
            return request.query_params.get("group") or None
        if target == "new-db":
            body = body_of(request) or {}
            group = body.get("group", "default")
            return group if isinstance(group, str) else None
        return None

    @staticmethod
    def _what(request: Request, target: Target) -> str:
        params = request.path_params
        if target == "db":
            return f"database {params.get('db')}"
        if target == "group":
            return f"group {params.get('group')}"
        if target == "list":
            return f"group {request.query_params.get('group')}"
        body = body_of(request) or {}
        return f"group {body.get('group', 'default')} (of the new database)"

    @staticmethod
    async def _read_first(request: Request) -> Request:
        raw = await read_limited(request)
        request.state.body = parse_object(raw)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        return Request(request.scope, replay)


__all__ = ["NEEDS", "Access", "Need", "body_of", "narrowed_to", "need_of", "principal_of"]

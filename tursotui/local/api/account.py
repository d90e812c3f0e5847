"""Local Turso routes for Platform API tokens and the audit log (the spec's ``listAPITokens``,
``createAPIToken``, ``revokeAPIToken``, ``listOrganizationAPITokens``, ``revokeOrganizationAPIToken``,
``listOrganizationAuditLogs``; turso-cli's ``POST /v2/auth/api-tokens/{name}``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tursotui.local.api.access import Access
from tursotui.local.api.jsonbody import json_body
from tursotui.local.control.api_tokens import OWNER, ApiTokenRecord, expand_scopes
from tursotui.local.control.audit import STARTER_REFUSAL
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.tokens import parse_expiration
from tursotui.local.errors import ApiError

Handler = Callable[[Request], Awaitable[Response]]


def _audit_data(record: ApiTokenRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"name": record.name, "id": record.id}
    for key in ("organization", "group"):
        if getattr(record, key) is not None:
            data[key] = getattr(record, key)
    if record.group is not None:
        data["scopes"] = list(record.scopes)
    return data


class AccountApi:
    def __init__(self, cp: ControlPlane, access: Access) -> None:
        self.cp = cp
        self.access = access

    # --- API tokens ---

    async def list_api_tokens(self, request: Request) -> Response:
        return JSONResponse({"tokens": [r.to_json() for r in self.access.tokens.active()]})

    async def _create(self, request: Request) -> tuple[ApiTokenRecord, str]:
        name = request.path_params["name"]
        body = await json_body(request)
        organization, group, scopes = (
            body.get("organization"),
            body.get("group"),
            body.get("scopes"),
        )
        if organization is not None:
            if not isinstance(organization, str):
                raise ApiError(400, "organization must be a string (an organization slug)")
            if organization != self.cp.state.slug:
                raise ApiError(403, f"you are not a member of organization {organization}")
        if group is not None:
            if not isinstance(group, str):
                raise ApiError(400, "group must be a string (a group name)")
            if organization is None:
                raise ApiError(400, "a group-scoped token needs organization as well as group")
            self.cp.group(group)  # 404 when it does not exist
            expanded = expand_scopes(scopes)
        elif scopes is not None:
            raise ApiError(
                400, "scopes are only for a group-scoped token: pass organization and group too"
            )
        else:
            expanded = []
        expires_in = parse_expiration(request.query_params.get("expiration"))
        record, secret = self.access.tokens.create(
            name, organization=organization, group=group, scopes=expanded, expires_in=expires_in
        )
        request.state.audit = _audit_data(record)
        return record, secret

    async def create_api_token(self, request: Request) -> Response:
        """The spec's answer: ``{name, id, token}``; the secret is never shown again."""
        record, secret = await self._create(request)
        return JSONResponse({"name": record.name, "id": record.id, "token": secret})

    async def create_api_token_v2(self, request: Request) -> Response:
        """turso-cli's ``POST /v2/auth/api-tokens/{name}``: ``{"token": {name, id, value}}``."""
        record, secret = await self._create(request)
        return JSONResponse({"token": {"name": record.name, "id": record.id, "value": secret}})

    async def revoke_api_token(self, request: Request) -> Response:
        record = self.access.tokens.named(request.path_params["name"])
        self.access.tokens.revoke(record)
        request.state.audit = _audit_data(record)
        return JSONResponse({"token": record.name})

    async def list_organization_api_tokens(self, request: Request) -> Response:
        """The organization- and group-scoped tokens, each with its ``owner`` (unrestricted ones are not
        listed here, as the spec says)."""
        slug = self.cp.state.slug
        tokens = [
            r.to_json() | {"owner": {"username": OWNER, "email": ""}}
            for r in self.access.tokens.active()
            if r.organization == slug
        ]
        return JSONResponse({"tokens": tokens})

    async def revoke_organization_api_token(self, request: Request) -> Response:
        """By id; an unrestricted token is not reachable here (404, as the spec says)."""
        record = self.access.tokens.with_id(request.path_params["token_id"])
        if record.organization != self.cp.state.slug:
            raise ApiError(404, f"API token with id {record.id} not found in this organization")
        self.access.tokens.revoke(record)
        request.state.audit = _audit_data(record)
        return JSONResponse({"token": record.id})

    # --- audit log ---

    async def list_audit_logs(self, request: Request) -> Response:
        """Newest first, paged; refused on the starter (Free) plan with the code turso-cli knows."""
        if self.cp.profile.plan == "starter":
            raise ApiError(
                403,
                "audit logs are not available on the starter (free) plan: upgrade to use them",
                code=STARTER_REFUSAL,
            )
        return JSONResponse(self.access.audit.page(request.query_params))


def account_routes(
    cp: ControlPlane, access: Access, w: Callable[[Handler], Handler]
) -> list[Route]:
    """The routes of API tokens and the audit log, each wrapped by ``w`` (authentication, scopes, audit)."""
    api = AccountApi(cp, access)
    org = "/v1/organizations/{org}"
    return [
        Route("/v1/auth/api-tokens", w(api.list_api_tokens), methods=["GET"]),
        Route("/v1/auth/api-tokens/{name}", w(api.create_api_token), methods=["POST"]),
        Route("/v1/auth/api-tokens/{name}", w(api.revoke_api_token), methods=["DELETE"]),
        Route("/v2/auth/api-tokens/{name}", w(api.create_api_token_v2), methods=["POST"]),
        Route(org + "/api-tokens", w(api.list_organization_api_tokens), methods=["GET"]),
        Route(
            org + "/api-tokens/{token_id}",
            w(api.revoke_organization_api_token),
            methods=["DELETE"],
        ),
        Route(org + "/audit-logs", w(api.list_audit_logs), methods=["GET"]),
    ]


__all__ = ["AccountApi", "account_routes"]

"""Account-level methods of the Platform API client: organizations, regions, billing, API tokens, audit logs.

``PlatformClient`` (in ``client.py``) builds on :class:`AccountClient` with databases, groups and their tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tursotui.platform._core import PlatformCore, segment
from tursotui.platform._json import Obj, expect_list, member, members
from tursotui.platform.models import ClosestRegion, Organization
from tursotui.platform.models_usage import OrganizationUsage, Plan, Subscription

# Token and audit models are imported by the calls that return them: not before a console's first frame.
if TYPE_CHECKING:
    from tursotui.platform.models_auth import (
        ApiToken,
        AuditLogPage,
        CreatedApiToken,
        TokenValidation,
    )


class AccountClient(PlatformCore):
    """Organizations, regions, billing, platform API tokens and audit logs."""

    # -- organizations and regions ---------------------------------------------------------------------------

    async def list_organizations(self) -> list[Organization]:
        """The organizations the token can see (the API answers with a bare JSON array)."""

        def parse(data: Any) -> list[Organization]:
            return [Organization.from_json(o) for o in expect_list(data, "organization list")]

        return await self._call("GET", "/v1/organizations", parse)

    async def get_organization(self, org: str | None = None) -> Organization:
        return await self._call(
            "GET",
            f"/v1/organizations/{self._org(org)}",
            lambda d: Organization.from_json(member(d, "organization")),
        )

    async def list_locations(self) -> dict[str, str]:
        """Location code -> description (``aws-us-east-1`` -> ``AWS US East (Virginia)``)."""
        return await self._call(
            "GET", "/v1/locations", lambda d: Obj(d, "response").str_map("locations")
        )

    async def closest_region(self) -> ClosestRegion:
        """The region closest to this machine, from ``region_url`` (no token is sent there)."""
        return await self._call(
            "GET", self.region_url, ClosestRegion.from_json, authenticated=False
        )

    # -- billing ---------------------------------------------------------------------------------------------

    async def organization_usage(self, *, org: str | None = None) -> OrganizationUsage:
        return await self._call(
            "GET",
            f"/v1/organizations/{self._org(org)}/usage",
            lambda d: OrganizationUsage.from_json(member(d, "organization")),
        )

    async def list_plans(self, *, org: str | None = None) -> list[Plan]:
        return await self._call(
            "GET",
            f"/v1/organizations/{self._org(org)}/plans",
            lambda d: [Plan.from_json(p) for p in members(d, "plans")],
        )

    async def get_subscription(self, *, org: str | None = None) -> Subscription:
        return await self._call(
            "GET",
            f"/v1/organizations/{self._org(org)}/subscription",
            lambda d: Subscription.from_json(member(d, "subscription")),
        )

    # -- platform API tokens and audit logs ------------------------------------------------------------------

    async def validate_token(self) -> TokenValidation:
        """Check the platform token and learn when it expires."""
        from tursotui.platform.models_auth import TokenValidation

        return await self._call("GET", "/v1/auth/validate", TokenValidation.from_json)

    async def list_api_tokens(self) -> list[ApiToken]:
        from tursotui.platform.models_auth import ApiToken

        return await self._call(
            "GET",
            "/v1/auth/api-tokens",
            lambda d: [ApiToken.from_json(t) for t in members(d, "tokens")],
        )

    async def create_api_token(
        self,
        name: str,
        *,
        organization: str | None = None,
        group: str | None = None,
        scopes: Sequence[str] | None = None,
        expiration: str | None = None,
    ) -> CreatedApiToken:
        """Mint a platform API token (its secret is returned once). Without ``organization`` the token is
        unrestricted, which the API deprecates; pass ``organization`` (and ``group`` + ``scopes``) to scope it.

        ``expiration`` (``30d``, ``2w1d``) is the local Turso's own: Turso Cloud's API tokens never expire
        (the spec takes no expiration; turso-cli: "revocable non-expiring tokens") and it would ignore it."""
        from tursotui.platform.models_auth import CreatedApiToken

        if group is not None and (organization is None or not scopes):
            raise ValueError("a group-scoped token needs organization= and a non-empty scopes=")
        body: dict[str, Any] = {}
        if organization is not None:
            body["organization"] = organization
        if group is not None:
            body["group"] = group
        if scopes is not None:
            body["scopes"] = list(scopes)
        return await self._call(
            "POST",
            f"/v1/auth/api-tokens/{segment(name)}",
            CreatedApiToken.from_json,
            params={"expiration": expiration} if expiration is not None else None,
            json_body=body or None,
        )

    async def revoke_api_token(self, name: str) -> str:
        """Revoke a platform API token by name; returns the revoked name."""

        def parse(data: Any) -> str:
            return Obj(data, "response").text("token", default=name)

        return await self._call("DELETE", f"/v1/auth/api-tokens/{segment(name)}", parse)

    async def list_audit_logs(
        self, page: int = 1, page_size: int = 100, *, org: str | None = None
    ) -> AuditLogPage:
        """One page of the audit log, newest first (Scaler plan and up)."""
        from tursotui.platform.models_auth import AuditLogPage

        if page < 1 or page_size < 1:
            raise ValueError("page and page_size must be >= 1")
        return await self._call(
            "GET",
            f"/v1/organizations/{self._org(org)}/audit-logs",
            AuditLogPage.from_json,
            params={"page": page, "page_size": page_size},
        )

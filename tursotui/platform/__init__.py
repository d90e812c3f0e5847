"""Turso Platform API client. Never imports textual.

Each name is imported from its module when first used (:mod:`tursotui.support.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.support.lazy import lazy_exports

if TYPE_CHECKING:
    from tursotui.platform._core import DEFAULT_BASE_URL, DEFAULT_REGION_URL, DEFAULT_TIMEOUT
    from tursotui.platform.client import PlatformClient, format_expiration
    from tursotui.platform.errors import (
        BadRequest,
        Conflict,
        ConnectionFailed,
        Forbidden,
        NotFound,
        OrganizationNotSet,
        PaymentRequired,
        PlatformError,
        RateLimited,
        ResponseFormatError,
        ServerError,
        Timeout,
        TransportError,
        Unauthorized,
        Unprocessable,
    )
    from tursotui.platform.models import (
        FREE_PLAN_ID,
        ClosestRegion,
        CreatedDatabase,
        Database,
        DatabaseConfiguration,
        DatabaseParent,
        Group,
        Instance,
        Organization,
        Seed,
    )
    from tursotui.platform.models_auth import (
        ApiToken,
        AuditLog,
        AuditLogPage,
        CreatedApiToken,
        DatabaseToken,
        TokenValidation,
    )
    from tursotui.platform.models_usage import (
        DatabaseStats,
        DatabaseUsage,
        InstanceUsage,
        OrganizationUsage,
        OrganizationUsageTotals,
        Plan,
        PlanPrice,
        PlanQuotas,
        QueryStat,
        Subscription,
        UsageCounters,
    )
    from tursotui.platform.retry import RetryPolicy

_EXPORTS = {
    "tursotui.platform._core": (
        "DEFAULT_BASE_URL",
        "DEFAULT_REGION_URL",
        "DEFAULT_TIMEOUT",
    ),
    "tursotui.platform.client": (
        "PlatformClient",
        "format_expiration",
    ),
    "tursotui.platform.errors": (
        "BadRequest",
        "Conflict",
        "ConnectionFailed",
        "Forbidden",
        "NotFound",
        "OrganizationNotSet",
        "PaymentRequired",
        "PlatformError",
        "RateLimited",
        "ResponseFormatError",
        "ServerError",
        "Timeout",
        "TransportError",
        "Unauthorized",
        "Unprocessable",
    ),
    "tursotui.platform.models": (
        "ClosestRegion",
        "CreatedDatabase",
        "Database",
        "DatabaseConfiguration",
        "DatabaseParent",
        "FREE_PLAN_ID",
        "Group",
        "Instance",
        "Organization",
        "Seed",
    ),
    "tursotui.platform.models_auth": (
        "ApiToken",
        "AuditLog",
        "AuditLogPage",
        "CreatedApiToken",
        "DatabaseToken",
        "TokenValidation",
    ),
    "tursotui.platform.models_usage": (
        "DatabaseStats",
        "DatabaseUsage",
        "InstanceUsage",
        "OrganizationUsage",
        "OrganizationUsageTotals",
        "Plan",
        "PlanPrice",
        "PlanQuotas",
        "QueryStat",
        "Subscription",
        "UsageCounters",
    ),
    "tursotui.platform.retry": ("RetryPolicy",),
}
__getattr__ = lazy_exports(globals(), _EXPORTS)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REGION_URL",
    "DEFAULT_TIMEOUT",
    "FREE_PLAN_ID",
    "ApiToken",
    "AuditLog",
    "AuditLogPage",
    "BadRequest",
    "ClosestRegion",
    "Conflict",
    "ConnectionFailed",
    "CreatedApiToken",
    "CreatedDatabase",
    "Database",
    "DatabaseConfiguration",
    "DatabaseParent",
    "DatabaseStats",
    "DatabaseToken",
    "DatabaseUsage",
    "Forbidden",
    "Group",
    "Instance",
    "InstanceUsage",
    "NotFound",
    "Organization",
    "OrganizationNotSet",
    "OrganizationUsage",
    "OrganizationUsageTotals",
    "PaymentRequired",
    "Plan",
    "PlanPrice",
    "PlanQuotas",
    "PlatformClient",
    "PlatformError",
    "QueryStat",
    "RateLimited",
    "ResponseFormatError",
    "RetryPolicy",
    "Seed",
    "ServerError",
    "Subscription",
    "Timeout",
    "TokenValidation",
    "TransportError",
    "Unauthorized",
    "Unprocessable",
    "UsageCounters",
    "format_expiration",
]

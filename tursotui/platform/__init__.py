"""Turso Platform API client. Never imports textual.

Each name is imported from its module when first used (PEP 562): ``from tursotui.platform import PlatformError``
loads the errors, not every model and the client, so the console's first frame pays only for what it shows.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_HOME = {
    "ApiToken": "models_auth",
    "AuditLog": "models_auth",
    "AuditLogPage": "models_auth",
    "BadRequest": "errors",
    "ClosestRegion": "models",
    "Conflict": "errors",
    "ConnectionFailed": "errors",
    "CreatedApiToken": "models_auth",
    "CreatedDatabase": "models",
    "DEFAULT_BASE_URL": "_core",
    "DEFAULT_REGION_URL": "_core",
    "DEFAULT_TIMEOUT": "_core",
    "Database": "models",
    "DatabaseConfiguration": "models",
    "DatabaseParent": "models",
    "DatabaseStats": "models_usage",
    "DatabaseToken": "models_auth",
    "DatabaseUsage": "models_usage",
    "FREE_PLAN_ID": "models",
    "Forbidden": "errors",
    "Group": "models",
    "Instance": "models",
    "InstanceUsage": "models_usage",
    "NotFound": "errors",
    "Organization": "models",
    "OrganizationNotSet": "errors",
    "OrganizationUsage": "models_usage",
    "OrganizationUsageTotals": "models_usage",
    "PaymentRequired": "errors",
    "Plan": "models_usage",
    "PlanPrice": "models_usage",
    "PlanQuotas": "models_usage",
    "PlatformClient": "client",
    "PlatformError": "errors",
    "QueryStat": "models_usage",
    "RateLimited": "errors",
    "ResponseFormatError": "errors",
    "RetryPolicy": "retry",
    "Seed": "models",
    "ServerError": "errors",
    "Subscription": "models_usage",
    "Timeout": "errors",
    "TokenValidation": "models_auth",
    "TransportError": "errors",
    "Unauthorized": "errors",
    "Unprocessable": "errors",
    "UsageCounters": "models_usage",
    "format_expiration": "client",
}
"""Where each exported name lives."""


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


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

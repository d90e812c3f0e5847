"""The organization's plan and subscription, and its usage against the plan's quotas (headless: the CLI's
``plan show`` and, once switched to it, the console's Usage tab).

How the plan is found, as turso-cli's ``plan show`` does and where it falls short (issue 13, D2/D4/D17):

- the plan is ``/subscription``'s ``plan`` with its ``_overages`` suffix stripped (turso-cli cmd/plan.go),
  looked up by that base name in ``/plans``;
- when ``/subscription`` is refused (a member without billing rights, a scoped API token) the organization's
  ``plan_id`` names it; when neither does, the plan is "plan unknown" — never the Free plan's limits;
- quotas come from ``/plans`` only: refused or missing, they are unknown and said so;
- with overages on (``organization.overages``), usage past a quota is the billed excess (turso-cli's OVERAGE
  column), not "used up"; without, a quota passed blocks (BLOCKED) until the monthly reset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from tursotui.ops.quota import next_reset
from tursotui.platform import (
    Organization,
    OrganizationUsage,
    Plan,
    PlanQuotas,
    PlatformClient,
    PlatformError,
    Subscription,
)
from tursotui.platform.models_usage import OVERAGES_SUFFIX
from tursotui.support import humanize

T = TypeVar("T")
UNKNOWN = "plan unknown"

RESOURCES: tuple[tuple[str, str, str], ...] = (
    # (resource as turso-cli names it, the usage/quota field, its unit); billed: the first four
    ("storage", "storage_bytes", "bytes"),
    ("rows read", "rows_read", "rows"),
    ("rows written", "rows_written", "rows"),
    ("embedded syncs", "bytes_synced", "bytes"),
    ("databases", "databases", "count"),
    ("locations", "locations", "count"),
    ("groups", "groups", "count"),
)
BILLED = frozenset({"storage_bytes", "rows_read", "rows_written", "bytes_synced"})
"""Resources whose excess is billed with overages (turso-cli shows an OVERAGE for these only)."""


def base_plan(name: str) -> str:
    """``scaler_overages`` -> ``scaler`` (the plan's name in ``/plans``)."""
    return name.removesuffix(OVERAGES_SUFFIX)


@dataclass(frozen=True)
class QuotaRow:
    resource: str
    key: str
    unit: str
    used: int | None
    """None: the usage was not available."""
    limit: int | None
    """None: unlimited, or unknown when the plan's quotas are (:attr:`PlanView.quotas_known`)."""
    overages: bool | None

    @property
    def percent(self) -> float | None:
        if self.used is None or not self.limit:
            return None
        return self.used * 100.0 / self.limit

    @property
    def excess(self) -> int:
        if self.used is None or not self.limit:
            return 0
        return max(0, self.used - self.limit)

    @property
    def billed_excess(self) -> int | None:
        """What is billed over the quota (overages on, a billed resource), else None."""
        if self.overages and self.key in BILLED and self.excess:
            return self.excess
        return None

    @property
    def state(self) -> str:
        if self.used is None:
            return "usage unavailable"
        if self.limit is None:
            return ""
        if self.key not in BILLED:
            return "over the limit" if self.excess else ""
        if self.overages:
            return "over the quota: the excess is billed (overages on)" if self.excess else ""
        if self.used < self.limit:
            return ""
        if self.overages is None:
            return "quota reached: blocked unless overages are on"
        return "used up: blocked until the quota resets"

    def show(self, value: int | None) -> str:
        if value is None:
            return "–"
        if self.unit == "bytes":
            return humanize.size(value)
        if self.unit == "rows":
            return humanize.count(value)
        return f"{value:,}"


@dataclass(frozen=True)
class PlanView:
    organization: str
    plan: str | None
    """The plan's base name (``scaler``), None when nothing names it."""
    plan_source: str
    """Where the name came from: ``subscription``, ``organization.plan_id`` or ``""``."""
    overages: bool | None
    timeline: str
    quotas: PlanQuotas | None
    """From ``/plans``; None when ``/plans`` was refused or does not list the plan."""
    rows: tuple[QuotaRow, ...]
    reset: datetime
    blocked_reads: bool | None = None
    blocked_writes: bool | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What could not be read and what that means here."""

    @property
    def label(self) -> str:
        return self.plan or UNKNOWN

    @property
    def quotas_known(self) -> bool:
        return self.quotas is not None


def _find(plans: list[Plan] | None, name: str) -> Plan | None:
    for plan in plans or ():
        if plan.name == name or plan.base_name == name:
            return plan
    return None


def resolve(
    organization_slug: str,
    *,
    organization: Organization | None,
    subscription: Subscription | None,
    plans: list[Plan] | None,
    usage: OrganizationUsage | None,
    now: datetime,
    refused: dict[str, str] | None = None,
) -> PlanView:
    """The plan view from what the API answered (None: refused or failed, ``refused`` says why)."""
    why = dict(refused or {})
    notes: list[str] = []
    raw = ""
    source = ""
    if subscription is not None and subscription.plan:
        raw, source = subscription.plan, "subscription"
    elif organization is not None and organization.plan_id:
        raw, source = organization.plan_id, "organization.plan_id"
        notes.append(
            f"/subscription unavailable ({why.get('subscription', 'no plan in it')}): "
            "the plan is the organization's plan_id"
        )
    else:
        notes.append("neither /subscription nor the organization names the plan: plan unknown")
    plan = base_plan(raw) if raw else None
    if organization is not None:
        overages: bool | None = organization.overages
    elif subscription is not None:
        overages = subscription.overages or raw.endswith(OVERAGES_SUFFIX)
    else:
        overages = True if raw.endswith(OVERAGES_SUFFIX) else None
    found = _find(plans, plan) if plan else None
    if plans is None:
        notes.append(f"/plans unavailable ({why.get('plans', 'refused')}): quotas unknown")
    elif plan is not None and found is None:
        notes.append(f"/plans does not list {plan}: quotas unknown")
    quotas = found.quotas if found else None
    if usage is None:
        notes.append(f"usage unavailable ({why.get('usage', 'refused')})")
    rows = tuple(
        QuotaRow(
            resource=resource,
            key=key,
            unit=unit,
            used=getattr(usage.usage, key) if usage is not None else None,
            limit=getattr(quotas, key) if quotas is not None else None,
            overages=overages,
        )
        for resource, key, unit in RESOURCES
    )
    timeline = (subscription.timeline if subscription else "") or (
        organization.plan_timeline if organization else ""
    )
    return PlanView(
        organization=organization_slug,
        plan=plan,
        plan_source=source,
        overages=overages,
        timeline=timeline,
        quotas=quotas,
        rows=rows,
        reset=next_reset(now),
        blocked_reads=organization.blocked_reads if organization else None,
        blocked_writes=organization.blocked_writes if organization else None,
        notes=tuple(notes),
    )


async def soft_call(
    call: Callable[[], Awaitable[T]], what: str, refused: dict[str, str]
) -> T | None:
    """``call()`` or None, its PlatformError kept as ``refused[what]`` (a factory: nothing is left un-awaited)."""
    try:
        return await call()
    except PlatformError as exc:
        refused[what] = str(exc)
        return None


async def fetch_plan_view(platform: PlatformClient, now: datetime) -> PlanView:
    """Four requests side by side; each may be refused without failing the view."""
    refused: dict[str, str] = {}
    organization, subscription, plans, usage = await asyncio.gather(
        soft_call(platform.get_organization, "organization", refused),
        soft_call(platform.get_subscription, "subscription", refused),
        soft_call(platform.list_plans, "plans", refused),
        soft_call(platform.organization_usage, "usage", refused),
    )
    return resolve(
        platform.organization or "",
        organization=organization,
        subscription=subscription,
        plans=plans,
        usage=usage,
        now=now,
        refused=refused,
    )


def plan_json(view: PlanView) -> dict[str, Any]:
    return {
        "organization": view.organization,
        "plan": view.plan,
        "plan_known": view.plan is not None,
        "plan_source": view.plan_source or None,
        "overages": view.overages,
        "timeline": view.timeline or None,
        "quotas_known": view.quotas_known,
        "blocked_reads": view.blocked_reads,
        "blocked_writes": view.blocked_writes,
        "resets_at": view.reset.isoformat().replace("+00:00", "Z"),
        "usage": [
            {
                "resource": row.resource,
                "key": row.key,
                "used": row.used,
                "limit": row.limit,
                "unlimited": view.quotas_known and row.limit is None,
                "percent": None if row.percent is None else round(row.percent, 1),
                "billed_excess": row.billed_excess,
                "state": row.state or None,
            }
            for row in view.rows
        ],
        "notes": list(view.notes),
    }


def limit_text(view: PlanView, row: QuotaRow) -> str:
    if not view.quotas_known:
        return "unknown"
    return "unlimited" if row.limit is None else row.show(row.limit)


def overages_text(view: PlanView) -> str:
    if view.overages is None:
        return "unknown"
    return "on: usage past a quota is billed" if view.overages else "off: a quota passed blocks"

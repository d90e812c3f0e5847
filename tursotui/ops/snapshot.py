"""What one refresh fetches, through the Platform API only (no SQL: watching costs no rows read; no Textual).

``list_databases`` must succeed for a refresh to count; the other calls degrade to warnings and partial data.

A refresh costs a fixed number of requests whatever the number of databases (cloud-fidelity D5). The full
fetch (databases, groups, organization, usage, plans, subscription) is for the first refresh, a manual one and
the slow timer (:data:`SLOW_SECONDS`); in between, :func:`fetch_snapshot` given the ``previous`` snapshot lists
only the databases and groups and carries the rest (usage is a billing-cycle aggregate). Per-database usage
comes from the organization usage; the few databases it omits are asked one by one, at most
:data:`USAGE_CONCURRENCY` of them, on a full fetch only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from tursotui.ops import plan as plans_view
from tursotui.ops.plan import PlanView
from tursotui.ops.quota import PlanInfo
from tursotui.platform import (
    ConnectionFailed,
    Database,
    Group,
    Organization,
    OrganizationUsage,
    Plan,
    PlanQuotas,
    PlatformClient,
    PlatformError,
    Subscription,
    Timeout,
    Unauthorized,
    UsageCounters,
)

T = TypeVar("T")
USAGE_CONCURRENCY = 8
"""At most this many per-database usage requests, on a full fetch only (never a fan-out over the org)."""
SLOW_SECONDS = 60.0
"""The organization, its usage and its plan are fetched at most this often (and on a manual refresh)."""


@dataclass(frozen=True)
class OrgSnapshot:
    fetched_at: datetime
    databases: tuple[Database, ...]
    groups: dict[str, Group] = field(default_factory=dict)
    organization: Organization | None = None
    usage: OrganizationUsage | None = None
    db_usage: dict[str, UsageCounters] = field(default_factory=dict)
    """Database name -> this period's totals."""
    plan: PlanInfo | None = None
    plan_view: PlanView | None = None
    """The plan, its quotas and this period's usage against them, as ``tursotui plan show`` resolves them."""
    warnings: tuple[str, ...] = ()
    groups_known: bool = True
    """False when the groups could not be fetched (``groups`` is then empty, not "no groups")."""
    listed: bool = True
    """False: no list of databases was fetched (before any refresh worked), not an organization without any."""
    account_at: datetime | None = None
    """When the organization, usage and plan were fetched (``fetched_at`` on a full fetch, earlier when
    carried from the previous snapshot)."""
    account_warnings: tuple[str, ...] = ()
    """The warnings of that part (carried with it; also in ``warnings``)."""
    full: bool = True
    """Whether this refresh fetched the organization, usage and plan too (False: carried from the last)."""

    @cached_property
    def _by_name(self) -> dict[str, Database]:
        return {db.name: db for db in self.databases}

    @cached_property
    def _by_group(self) -> dict[str, list[str]]:
        by_group: dict[str, list[str]] = {}
        for db in self.databases:
            by_group.setdefault(db.group, []).append(db.name)
        return by_group

    def database(self, name: str) -> Database | None:
        return self._by_name.get(name)

    def group_of(self, name: str) -> Group | None:
        db = self.database(name)
        return self.groups.get(db.group) if db else None

    def databases_in_group(self, group: str) -> list[str]:
        return list(self._by_group.get(group, ()))

    @property
    def first_database(self) -> str | None:
        """The first database listed (what is selected when nothing else is)."""
        return self.databases[0].name if self.databases else None


async def _soft(call: Callable[[], Awaitable[T]], what: str, warnings: list[str]) -> T | None:
    """``call()`` or None, its PlatformError noted in ``warnings`` (a factory: nothing is left un-awaited)."""
    try:
        return await call()
    except PlatformError as exc:
        warnings.append(f"{what}: {exc}")
        return None


def plan_info(
    plans: list[Plan] | None,
    subscription: Subscription | None,
    organization: Organization | None,
    refused: dict[str, str],
    now: datetime,
) -> PlanInfo:
    """The plan ``/plans`` and ``/subscription`` name (else the organization's ``plan_id``), by ``ops/plan.py``."""
    view = plans_view.resolve(
        "",
        organization=organization,
        subscription=subscription,
        plans=plans,
        usage=None,
        now=now,
        refused=refused,
    )
    return PlanInfo(
        name=view.label,
        quotas=view.quotas or PlanQuotas(),
        quotas_known=view.quotas_known,
        plans=None if plans is None else tuple(plans),
        subscription=subscription,
        refused=tuple(sorted((k, v) for k, v in refused.items() if k in ("plans", "subscription"))),
    )


async def _plan_answers(
    platform: PlatformClient, refused: dict[str, str]
) -> tuple[list[Plan] | None, Subscription | None]:
    return await asyncio.gather(
        plans_view.soft_call(platform.list_plans, "plans", refused),
        plans_view.soft_call(platform.get_subscription, "subscription", refused),
    )


async def fetch_plan(platform: PlatformClient) -> PlanInfo:
    """The current plan and its quotas (plans, subscription, and the organization for its ``plan_id``)."""
    refused: dict[str, str] = {}
    (plans, subscription), organization = await asyncio.gather(
        _plan_answers(platform, refused),
        plans_view.soft_call(platform.get_organization, "organization", refused),
    )
    return plan_info(plans, subscription, organization, refused, datetime.now().astimezone())


async def fetch_snapshot(
    platform: PlatformClient,
    now: datetime,
    plan: PlanInfo | None = None,
    previous: OrgSnapshot | None = None,
) -> OrgSnapshot:
    """The organization's state. With ``previous``: only the databases and groups are fetched (2 requests), the
    organization, usage and plan are ``previous``'s. ``plan``: the plan already known (not asked again)."""
    if previous is not None:
        return await _fetch_lists(platform, now, previous)
    warnings: list[str] = []
    refused: dict[str, str] = dict(plan.refused) if plan is not None else {}
    databases, groups, organization, usage, answers = await asyncio.gather(
        platform.list_databases(),
        _soft(platform.list_groups, "groups", warnings),
        _soft(platform.get_organization, "organization", warnings),
        _soft(platform.organization_usage, "usage", warnings),
        _plan_answers(platform, refused)
        if plan is None
        else _done((None if plan.plans is None else list(plan.plans), plan.subscription)),
    )
    plans, subscription = answers
    if plan is None:
        plan = plan_info(plans, subscription, organization, refused, now)
    if usage is None:
        refused["usage"] = next((w for w in warnings if w.startswith("usage:")), "refused")
    view = plans_view.resolve(
        platform.organization or "",
        organization=organization,
        subscription=subscription,
        plans=plans,
        usage=usage,
        now=now,
        refused=refused,
    )
    db_usage = await _database_usage(platform, databases, usage, warnings)
    account = tuple(w for w in warnings if not w.startswith("groups:"))
    return OrgSnapshot(
        fetched_at=now,
        databases=tuple(databases),
        groups={g.name: g for g in groups or ()},
        organization=organization,
        usage=usage,
        db_usage=db_usage,
        plan=plan,
        plan_view=view,
        warnings=tuple(warnings),
        groups_known=groups is not None,
        account_at=now,
        account_warnings=account,
    )


async def _fetch_lists(
    platform: PlatformClient, now: datetime, previous: OrgSnapshot
) -> OrgSnapshot:
    """The databases and groups now; the organization, usage and plan as ``previous`` has them."""
    warnings: list[str] = []
    databases, groups = await asyncio.gather(
        platform.list_databases(), _soft(platform.list_groups, "groups", warnings)
    )
    by_uuid = {d.uuid: d.total for d in previous.usage.databases} if previous.usage else {}
    db_usage: dict[str, UsageCounters] = {}
    for db in databases:
        found = previous.db_usage.get(db.name) or (by_uuid.get(db.db_id) if db.db_id else None)
        if found is not None:
            db_usage[db.name] = found
    return replace(
        previous,
        fetched_at=now,
        databases=tuple(databases),
        groups={g.name: g for g in groups or ()},
        db_usage=db_usage,
        warnings=(*warnings, *previous.account_warnings),
        groups_known=groups is not None,
        full=False,
    )


async def _done(value: T) -> T:
    return value


async def _database_usage(
    platform: PlatformClient,
    databases: list[Database],
    usage: OrganizationUsage | None,
    warnings: list[str],
) -> dict[str, UsageCounters]:
    """Per-database totals from the organization usage (one call). Databases it omits are asked one by one
    only when they are few (at most :data:`USAGE_CONCURRENCY`): never a request per database of the org."""
    by_uuid = {d.uuid: d.total for d in usage.databases} if usage else {}
    result: dict[str, UsageCounters] = {}
    missing: list[Database] = []
    for db in databases:
        found = by_uuid.get(db.db_id) if db.db_id else None
        if found is not None:
            result[db.name] = found
        else:
            missing.append(db)
    if not missing:
        return result
    if len(missing) > USAGE_CONCURRENCY:
        warnings.append(
            f"usage: {len(missing)} databases are not in the organization usage; not asked one by one "
            "(tursotui db usage NAME shows one)"
        )
        return result
    lost: list[str] = []

    async def one(db: Database) -> None:
        got = await _soft(lambda: platform.database_usage(db.name), db.name, lost)
        if got is not None:
            result[db.name] = got.total

    await asyncio.gather(*(one(db) for db in missing))
    if lost:
        warnings.append(f"usage of {len(lost)} database(s) unavailable")
    return result


def failure_text(exc: PlatformError, host: str) -> str:
    """One line on why the Platform API at ``host`` could not be used, cause first: no network or DNS, refused,
    timed out, or the API token refused (401); else the error as it is."""
    if isinstance(exc, Unauthorized):
        return (
            f"the API token was refused by {host} (401: {exc.message}): set TURSO_API_TOKEN to a valid "
            "Platform API token (turso auth api-tokens mint NAME)"
        )
    if isinstance(exc, ConnectionFailed):
        return exc.message  # names the host and the cause (platform/_core.py)
    if isinstance(exc, Timeout):
        return f"{host} did not answer: {exc.message}"
    return str(exc)


def unavailable_snapshot(now: datetime, why: str) -> OrgSnapshot:
    """What the console shows before any refresh succeeded: nothing listed, and the usage, plan and
    organization unavailable for ``why`` (not zeros)."""
    refused = dict.fromkeys(("organization", "subscription", "plans", "usage"), why)
    view = plans_view.resolve(
        "",
        organization=None,
        subscription=None,
        plans=None,
        usage=None,
        now=now,
        refused=refused,
    )
    return OrgSnapshot(
        fetched_at=now,
        databases=(),
        plan_view=view,
        groups_known=False,
        listed=False,
        account_at=now,
        account_warnings=(f"unavailable: {why}",),
        warnings=(f"unavailable: {why}",),
    )


def primary_locations(snapshot: OrgSnapshot, group: Group) -> set[str]:
    """Every name the group's primary goes by (the spec's own example mixes ``us-east-1``/``aws-us-east-1``)."""
    names = {group.primary} if group.primary else set()
    names.update(db.primary_region for db in snapshot.databases if db.group == group.name)
    names.discard("")
    return names


def is_primary(location: str, primaries: set[str]) -> bool:
    return any(
        location == p or location.endswith("-" + p) or p.endswith("-" + location) for p in primaries
    )

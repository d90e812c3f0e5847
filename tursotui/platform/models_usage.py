"""Typed models of usage, stats, plans and subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tursotui.platform._json import Obj
from tursotui.platform.models import FREE_PLAN_ID

OVERAGES_SUFFIX = "_overages"


@dataclass(frozen=True)
class UsageCounters:
    """Rows read/written, storage and sync of a database or instance over a period."""

    rows_read: int = 0
    rows_written: int = 0
    storage_bytes: int = 0
    bytes_synced: int = 0

    def __add__(self, other: UsageCounters) -> UsageCounters:
        return UsageCounters(
            rows_read=self.rows_read + other.rows_read,
            rows_written=self.rows_written + other.rows_written,
            storage_bytes=self.storage_bytes + other.storage_bytes,
            bytes_synced=self.bytes_synced + other.bytes_synced,
        )

    @classmethod
    def from_json(cls, data: object) -> UsageCounters:
        o = Obj(data, "usage")
        return cls(
            rows_read=o.integer("rows_read"),
            rows_written=o.integer("rows_written"),
            storage_bytes=o.integer("storage_bytes"),
            bytes_synced=o.integer("bytes_synced"),
        )


@dataclass(frozen=True)
class InstanceUsage:
    uuid: str
    usage: UsageCounters

    @classmethod
    def from_json(cls, data: object) -> InstanceUsage:
        o = Obj(data, "instance usage")
        usage = o.obj("usage")
        counters = UsageCounters.from_json(usage) if usage else UsageCounters()
        return cls(uuid=o.text("uuid"), usage=counters)


@dataclass(frozen=True)
class DatabaseUsage:
    """Usage of one database: per instance and in total.

    The spec names the total ``total``; the Turso CLI and TS SDK read ``usage``. Both are accepted; if neither is
    present the total is the sum of the instances' rows and bytes synced, and the largest instance's storage
    (every instance holds the same database: its size counts once, not once per replica).
    """

    uuid: str
    instances: tuple[InstanceUsage, ...] = ()
    total: UsageCounters = UsageCounters()

    @classmethod
    def from_json(cls, data: object) -> DatabaseUsage:
        o = Obj(data, "database usage")
        instances = tuple(InstanceUsage.from_json(item) for item in o.objs("instances"))
        total_obj = o.obj("total", "usage")
        if total_obj is not None:
            total = UsageCounters.from_json(total_obj)
        else:
            total = sum((inst.usage for inst in instances), UsageCounters())
            largest = max((inst.usage.storage_bytes for inst in instances), default=0)
            total = replace(total, storage_bytes=largest)
        return cls(uuid=o.text("uuid"), instances=instances, total=total)


@dataclass(frozen=True)
class QueryStat:
    query: str
    rows_read: int = 0
    rows_written: int = 0

    @classmethod
    def from_json(cls, data: object) -> QueryStat:
        o = Obj(data, "top query")
        return cls(
            query=o.text("query"),
            rows_read=o.integer("rows_read"),
            rows_written=o.integer("rows_written"),
        )


@dataclass(frozen=True)
class DatabaseStats:
    """Top queries of a database (``top_queries`` may be ``null``: read as none)."""

    top_queries: tuple[QueryStat, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> DatabaseStats:
        o = Obj(data, "stats")
        return cls(top_queries=tuple(QueryStat.from_json(q) for q in o.objs("top_queries")))


@dataclass(frozen=True)
class OrganizationUsageTotals:
    rows_read: int = 0
    rows_written: int = 0
    databases: int = 0
    locations: int = 0
    storage_bytes: int = 0
    groups: int = 0
    bytes_synced: int = 0

    @classmethod
    def from_json(cls, data: object) -> OrganizationUsageTotals:
        o = Obj(data, "organization.usage")
        return cls(
            rows_read=o.integer("rows_read"),
            rows_written=o.integer("rows_written"),
            databases=o.integer("databases"),
            locations=o.integer("locations"),
            storage_bytes=o.integer("storage_bytes"),
            groups=o.integer("groups"),
            bytes_synced=o.integer("bytes_synced"),
        )


@dataclass(frozen=True)
class OrganizationUsage:
    """Current billing-cycle usage of an organization (quotas reset on the 1st of the month, UTC)."""

    uuid: str
    usage: OrganizationUsageTotals
    databases: tuple[DatabaseUsage, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> OrganizationUsage:
        o = Obj(data, "organization")
        usage = o.obj("usage")
        return cls(
            uuid=o.text("uuid"),
            usage=OrganizationUsageTotals.from_json(usage) if usage else OrganizationUsageTotals(),
            databases=tuple(DatabaseUsage.from_json(d) for d in o.objs("databases")),
        )


def _quota(o: Obj, *keys: str) -> int | None:
    value = o.opt_integer(*keys)
    return value or None  # 0 and null both mean unlimited


@dataclass(frozen=True)
class PlanQuotas:
    """Limits of a plan. ``None`` means unlimited (the API sends ``0`` or ``null`` for that)."""

    rows_read: int | None = None
    rows_written: int | None = None
    databases: int | None = None
    locations: int | None = None
    storage_bytes: int | None = None
    groups: int | None = None
    bytes_synced: int | None = None

    @classmethod
    def from_json(cls, data: object) -> PlanQuotas:
        o = Obj(data, "plan.quotas")
        return cls(
            rows_read=_quota(o, "rowsRead", "rows_read"),
            rows_written=_quota(o, "rowsWritten", "rows_written"),
            databases=_quota(o, "databases"),
            locations=_quota(o, "locations"),
            storage_bytes=_quota(o, "storage", "storage_bytes"),
            groups=_quota(o, "groups"),
            bytes_synced=_quota(o, "bytesSynced", "bytes_synced"),
        )


@dataclass(frozen=True)
class PlanPrice:
    value: str
    timeline: str = ""

    @classmethod
    def from_json(cls, data: object) -> PlanPrice:
        o = Obj(data, "plan.prices[]")
        return cls(value=o.text_or_number("value") or "", timeline=o.text("timeline"))


@dataclass(frozen=True)
class Plan:
    """A plan. The free plan's id is ``starter``; paid plans have ``<plan>_overages`` variants."""

    name: str
    price: str = ""
    prices: tuple[PlanPrice, ...] = ()
    quotas: PlanQuotas = PlanQuotas()

    @property
    def is_free(self) -> bool:
        return self.name == FREE_PLAN_ID

    @property
    def has_overages(self) -> bool:
        return self.name.endswith(OVERAGES_SUFFIX)

    @property
    def base_name(self) -> str:
        """The plan without its ``_overages`` suffix (``scaler_overages`` -> ``scaler``)."""
        return self.name.removesuffix(OVERAGES_SUFFIX)

    @classmethod
    def from_json(cls, data: object) -> Plan:
        o = Obj(data, "plan")
        quotas = o.obj("quotas")
        return cls(
            name=o.req_text("name"),
            price=o.text_or_number("price") or "",
            prices=tuple(PlanPrice.from_json(p) for p in o.objs("prices")),
            quotas=PlanQuotas.from_json(quotas) if quotas else PlanQuotas(),
        )


@dataclass(frozen=True)
class Subscription:
    """The organization's current plan."""

    plan: str
    name: str = ""
    overages: bool = False
    timeline: str = ""
    """``monthly`` or ``yearly``."""

    @property
    def is_free(self) -> bool:
        return self.plan == FREE_PLAN_ID

    @classmethod
    def from_json(cls, data: object) -> Subscription:
        o = Obj(data, "subscription")
        plan = o.text("plan", "name")
        return cls(
            plan=plan,
            name=o.text("name", default=plan),
            overages=o.flag("overages"),
            timeline=o.text("timeline"),
        )

"""Typed models of usage, stats, plans and subscriptions.

The organization's usage lists every database with its instances: 10,000 databases are ~40,000 objects of
JSON on each full refresh. Its counters are read by a fast path (a dict of plain integers, the common answer)
that falls back to the checked reading (:class:`~tursotui.platform._json.Obj`) for anything else, so a bad
answer is still named field by field; a database's instances are kept as they came and read (and checked)
only when asked for (:attr:`DatabaseUsage.instances`): the console shows only each database's total.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, replace
from typing import Any

from tursotui.platform._json import Obj, expect_list
from tursotui.platform.models import FREE_PLAN_ID

OVERAGES_SUFFIX = "_overages"
_COUNTERS = ("rows_read", "rows_written", "storage_bytes", "bytes_synced")


@dataclass(frozen=True, slots=True)
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
    def from_json(cls, data: object, what: str = "usage") -> UsageCounters:
        fast = _plain_counters(data)
        if fast is not None:
            return fast
        o = Obj(data, what)
        return cls(
            rows_read=o.integer("rows_read"),
            rows_written=o.integer("rows_written"),
            storage_bytes=o.integer("storage_bytes"),
            bytes_synced=o.integer("bytes_synced"),
        )


def _plain_counters(data: object) -> UsageCounters | None:
    """The counters of an object whose four fields are integers or absent/null (the common answer); None for
    anything else (a float, a string, not an object…), which the checked reading then accepts or names."""
    if type(data) is not dict:
        return None
    values = [data.get(key) for key in _COUNTERS]
    for value in values:
        if type(value) is not int and value is not None:
            return None
    return UsageCounters(*(value or 0 for value in values))


@dataclass(frozen=True, slots=True)
class InstanceUsage:
    uuid: str
    usage: UsageCounters

    @classmethod
    def from_json(cls, data: object, what: str = "instance usage") -> InstanceUsage:
        o = Obj(data, what)
        usage = o.raw("usage")
        counters = (
            UsageCounters() if usage is None else UsageCounters.from_json(usage, f"{o.what}.usage")
        )
        return cls(uuid=o.text("uuid"), usage=counters)


class DatabaseUsage:
    """Usage of one database: per instance and in total (immutable, compared by value).

    The spec names the total ``total``; the Turso CLI and TS SDK read ``usage``. Both are accepted; if neither is
    present the total is the sum of the instances' rows and bytes synced, and the largest instance's storage
    (every instance holds the same database: its size counts once, not once per replica).

    Read from the organization's usage, the instances are read and checked when first asked for (a
    :class:`~tursotui.platform.errors.ResponseFormatError` naming the field then); read alone
    (``GET …/databases/{db}/usage``), at once.
    """

    __slots__ = ("_instances", "_raw", "_what", "total", "uuid")
    uuid: str
    total: UsageCounters
    _instances: tuple[InstanceUsage, ...] | None
    """None: not read yet (``_raw`` holds them as they came, ``_what`` names them in messages)."""
    _raw: object
    _what: str

    def __init__(
        self,
        uuid: str,
        instances: tuple[InstanceUsage, ...] = (),
        total: UsageCounters = UsageCounters(),
    ) -> None:
        _set = object.__setattr__
        _set(self, "uuid", uuid)
        _set(self, "total", total)
        _set(self, "_instances", instances)
        _set(self, "_raw", None)
        _set(self, "_what", "")

    @property
    def instances(self) -> tuple[InstanceUsage, ...]:
        instances = self._instances
        if instances is None:
            instances = _instances(self._raw, self._what)
            object.__setattr__(self, "_instances", instances)
            object.__setattr__(self, "_raw", None)
        return instances

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatabaseUsage):
            return NotImplemented
        return (self.uuid, self.total, self.instances) == (other.uuid, other.total, other.instances)

    def __hash__(self) -> int:
        return hash((self.uuid, self.total, self.instances))

    def __repr__(self) -> str:
        return (
            f"DatabaseUsage(uuid={self.uuid!r}, instances={self.instances!r}, total={self.total!r})"
        )

    def __reduce__(self) -> tuple[type[DatabaseUsage], tuple[object, ...]]:
        return (DatabaseUsage, (self.uuid, self.instances, self.total))

    @classmethod
    def from_json(cls, data: object, what: str = "database usage") -> DatabaseUsage:
        """Everything read and checked now."""
        usage = _database_usage(data, what)
        usage.instances  # noqa: B018 (read now: a bad instance is named with the request)
        return usage


def _database_usage(data: object, what: str) -> DatabaseUsage:
    """The uuid and total read and checked now; the instances when first asked for (unless the total is
    theirs: then now)."""
    if isinstance(
        data, Obj
    ):  # already located (``member(d, "database")``): its path names the fields
        what, data = data.what, data.data
    if type(data) is dict:
        uuid, raw = data.get("uuid"), data.get("instances")
        key = "total" if data.get("total") is not None else "usage"
        total = data.get(key)
    else:
        o = Obj(data, what)  # raises: not an object
        uuid, raw = o.raw("uuid"), o.raw("instances")
        key = "total" if o.has("total") else "usage"
        total = o.raw(key)
    if type(uuid) is not str:
        uuid = Obj(data, what).text("uuid")  # "" when absent; a uuid of another type is named
    if raw is not None:
        expect_list(raw, f"{what}.instances")
    usage = DatabaseUsage(uuid)
    _set = object.__setattr__
    if total is not None:
        counters = _plain_counters(total)
        if counters is None:
            counters = UsageCounters.from_json(total, f"{what}.{key}")
        _set(usage, "total", counters)
        if raw:
            _set(usage, "_instances", None)
            _set(usage, "_raw", raw)
            _set(usage, "_what", what)
        return usage
    instances = _instances(raw, what)
    summed = sum((inst.usage for inst in instances), UsageCounters())
    largest = max((inst.usage.storage_bytes for inst in instances), default=0)
    _set(usage, "total", replace(summed, storage_bytes=largest))
    _set(usage, "_instances", instances)
    return usage


def _instances(raw: Any, what: str) -> tuple[InstanceUsage, ...]:
    if not raw:
        return ()
    items = expect_list(raw, f"{what}.instances")
    return tuple(
        InstanceUsage.from_json(item, f"{what}.instances[{index}]")
        for index, item in enumerate(items)
    )


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
            databases=_databases(o.raw("databases"), f"{o.what}.databases"),
        )


def _databases(raw: object, what: str) -> tuple[DatabaseUsage, ...]:
    if raw is None:
        return ()
    items = expect_list(raw, what)
    return tuple(_database_usage(item, f"{what}[{index}]") for index, item in enumerate(items))


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

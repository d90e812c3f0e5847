"""The operator's use cases without a server: the plan and its fallbacks (D2, D4, D17), database configuration
values checked as turso-cli checks them, instances joined with their usage, and top queries merged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tursotui.local.control.querylog import merge, statements
from tursotui.ops.dbconfig import ConfigChange, allowed_ip, size_limit, switch
from tursotui.ops.errors import InputError
from tursotui.ops.inspect import join_instances
from tursotui.ops.plan import UNKNOWN, base_plan, plan_json, resolve
from tursotui.platform import (
    DatabaseConfiguration,
    Instance,
    Organization,
    OrganizationUsage,
    OrganizationUsageTotals,
    Plan,
    PlanQuotas,
    Subscription,
    UsageCounters,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
PLANS = [
    Plan("starter", quotas=PlanQuotas(rows_read=500_000_000, rows_written=10, storage_bytes=5)),
    Plan("scaler", quotas=PlanQuotas(rows_read=100, rows_written=10, databases=None)),
]
USAGE = OrganizationUsage(
    "org", OrganizationUsageTotals(rows_read=40, rows_written=25, databases=3)
)


def org(plan_id: str, *, overages: bool = False) -> Organization:
    return Organization(
        name="o", slug="o", type="team", overages=overages, plan_id=plan_id, plan_timeline="yearly"
    )


def row(view: object, key: str) -> dict[str, object]:
    body = plan_json(view)  # type: ignore[arg-type]
    found = next(r for r in body["usage"] if r["key"] == key)
    assert isinstance(found, dict)
    return found


def test_the_overages_suffix_is_stripped_and_the_excess_is_billed() -> None:
    assert base_plan("scaler_overages") == "scaler" and base_plan("scaler") == "scaler"
    view = resolve(
        "o",
        organization=org("scaler_overages", overages=True),
        subscription=Subscription(plan="scaler_overages", overages=True, timeline="monthly"),
        plans=PLANS,
        usage=USAGE,
        now=NOW,
    )
    assert (view.label, view.plan_source, view.overages, view.timeline) == (
        "scaler",
        "subscription",
        True,
        "monthly",
    )
    written = row(view, "rows_written")
    assert (written["used"], written["limit"], written["billed_excess"]) == (25, 10, 15)
    assert written["state"] == "over the quota: the excess is billed (overages on)"
    assert row(view, "databases")["unlimited"] is True
    assert view.reset == datetime(2027, 1, 1, tzinfo=UTC)


def test_without_overages_a_passed_quota_is_used_up() -> None:
    view = resolve(
        "o",
        organization=org("starter"),
        subscription=Subscription(plan="starter"),
        plans=PLANS,
        usage=USAGE,
        now=NOW,
    )
    written = row(view, "rows_written")
    assert written["billed_excess"] is None
    assert written["state"] == "used up: blocked until the quota resets"
    assert row(view, "rows_read")["state"] is None


def test_a_refused_subscription_falls_back_to_plan_id_then_plan_unknown() -> None:
    view = resolve(
        "o",
        organization=org("scaler_overages", overages=True),
        subscription=None,
        plans=PLANS,
        usage=USAGE,
        now=NOW,
        refused={"subscription": "403 forbidden"},
    )
    assert (view.plan, view.plan_source, view.timeline) == (
        "scaler",
        "organization.plan_id",
        "yearly",
    )
    assert view.quotas_known and "403 forbidden" in view.notes[0]
    unknown = resolve("o", organization=None, subscription=None, plans=PLANS, usage=USAGE, now=NOW)
    assert (unknown.plan, unknown.label, unknown.overages) == (None, UNKNOWN, None)
    assert not unknown.quotas_known  # never the Free plan's limits
    assert all(r.limit is None for r in unknown.rows)


def test_quotas_unknown_when_plans_is_refused_or_lacks_the_plan() -> None:
    refused = resolve(
        "o", organization=org("pro"), subscription=None, plans=None, usage=USAGE, now=NOW
    )
    assert refused.plan == "pro" and not refused.quotas_known
    assert any("/plans unavailable" in n for n in refused.notes)
    missing = resolve(
        "o", organization=org("legacy"), subscription=None, plans=PLANS, usage=None, now=NOW
    )
    assert not missing.quotas_known and any("does not list legacy" in n for n in missing.notes)
    assert all(r.used is None and r.state == "usage unavailable" for r in missing.rows)


def test_configuration_values_are_checked_as_turso_cli_checks_them() -> None:
    assert switch("--block-reads", " ON ") is True and switch("--x", "off") is False
    with pytest.raises(InputError, match="--x takes on or off, not 'true'"):
        switch("--x", "true")
    assert [size_limit(v) for v in ("1GB", "256mb", "1000", "none", "0", "0mb")] == [
        "1gb",
        "256mb",
        "1000",
        "0",
        "0",
        "0",
    ]
    for bad in ("1.5gb", "1tb", "-1", "lots"):
        with pytest.raises(InputError, match="--size-limit"):
            size_limit(bad)
    assert allowed_ip(" 10.0.0.1/8 ") == "10.0.0.1/8"  # host bits allowed, as Go's ParseCIDR
    assert allowed_ip("2001:db8::1") == "2001:db8::1"
    with pytest.raises(InputError, match=r"invalid IP address '10\.0\.0'"):
        allowed_ip("10.0.0")


def test_a_change_describes_only_what_changes() -> None:
    current = DatabaseConfiguration(size_limit="0", delete_protection=False, block_writes=True)
    change = ConfigChange.parse(
        delete_protection="on",
        size_limit_text="1gb",
        block_writes="on",
        allow_ips=["10.0.0.0/8", "10.0.0.0/8"],
    )
    assert change.describe(current) == [
        "delete protection: off -> on",
        "size limit: none -> 1gb",
        "allowed IPs: any -> 10.0.0.0/8",
    ]
    assert ConfigChange.parse().empty
    assert ConfigChange.parse(allow_any_ip=True).allowed_ips == ()
    with pytest.raises(InputError, match="contradict"):
        ConfigChange.parse(allow_ips=["10.0.0.1"], allow_any_ip=True)


def test_instances_are_named_and_usage_of_an_unlisted_instance_kept() -> None:
    listed = [
        Instance(uuid="a", name="sjc", type="primary", region="sjc", hostname="h"),
        Instance(uuid="b", name="iad", type="replica", region="iad", hostname="h"),
    ]
    joined = join_instances(listed, {"a": UsageCounters(rows_read=5), "c": UsageCounters()})
    assert [(i.name, i.location, i.usage is not None) for i in joined] == [
        ("sjc", "sjc", True),
        ("iad", "iad", False),
        (None, None, True),
    ]


def test_top_queries_merge_over_instances_and_runs() -> None:
    primary = statements(
        {
            "queries": {
                "stats": [
                    {"query": "select 1", "count": 2, "elapsed_ms": 0.5, "rows_read": 2},
                    {"query": "insert", "count": 1, "elapsed_ms": 1, "rows_written": 1},
                ]
            }
        }
    )
    replica = statements({"queries": None, "top_queries": [{"query": "select 1", "rows_read": 9}]})
    merged = merge([primary, replica])
    assert merged[0] == {
        "query": "select 1",
        "rows_read": 11,
        "rows_written": 0,
        "count": 2,
        "elapsed_ms": 0.5,
    }
    assert merged[1]["query"] == "insert" and statements({"queries": {"stats": "?"}}) == []

"""The doctor's verdicts that need no server: the quota state, expiry wording, the index verdict, whom a token is
for, and the fleet's per-check summary (``tursotui.ops.doctor``)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tursotui.ops.doctor.connection import named, url_host
from tursotui.ops.doctor.expiry import expiring, expiry_text
from tursotui.ops.doctor.indexes import Lookup, create_index_sql, verdict
from tursotui.ops.doctor.model import Check, CheckSummary, DoctorReport, fail, ok, skip, warn
from tursotui.ops.doctor.platform_checks import group_state, quota
from tursotui.ops.plan import PlanView, QuotaRow
from tursotui.ops.token_claims import decode_claims
from tursotui.platform import Database, Group, Organization, PlanQuotas

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
KNOWN = PlanQuotas()


def view(
    *rows: QuotaRow, blocked_writes: bool = False, quotas: PlanQuotas | None = KNOWN
) -> PlanView:
    return PlanView(
        organization="acme",
        plan="starter",
        plan_source="subscription",
        overages=False,
        timeline="monthly",
        quotas=quotas,
        rows=rows,
        reset=datetime(2026, 7, 1, tzinfo=UTC),
        blocked_writes=blocked_writes,
        notes=("/plans unavailable (403): quotas unknown",) if quotas is None else (),
    )


def row(
    key: str, used: int, limit: int | None, unit: str = "rows", *, overages: bool = False
) -> QuotaRow:
    return QuotaRow(key.replace("_", " "), key, unit, used, limit, overages)


@pytest.mark.parametrize(
    ("plan", "state", "said"),
    [
        (view(row("rows_written", 10, 100)), "ok", "every quota below 90 %"),
        (view(row("rows_written", 95, 100)), "warn", "rows written at 95.0%"),
        (view(row("rows_written", 100, 100)), "fail", "rows written: used up"),
        (view(row("rows_written", 5, 100), blocked_writes=True), "fail", "writes are blocked"),
        (view(row("groups", 2, 1, "count")), "warn", "groups: over the limit (2 of 1)"),
        (view(row("rows_read", 150, 100, overages=True)), "warn", "rows read: 50 billed"),
        (view(row("rows_read", 1, None), quotas=None), "skip", "quotas unknown"),
    ],
)
def test_quota_states(plan: PlanView, state: str, said: str) -> None:
    check = quota(plan)
    assert check.state == state and said in check.detail, check
    assert bool(check.fix) == (state != "ok")


def test_expiry_is_said_with_the_time_left_or_gone() -> None:
    assert expiry_text(None, NOW) == "never expires"
    assert (
        expiry_text(NOW + timedelta(days=3), NOW) == "expires Thu 18 Jun 2026 12:00 UTC (in 3d 0h)"
    )
    assert (
        expiry_text(NOW - timedelta(hours=2), NOW)
        == "expired Mon 15 Jun 2026 10:00 UTC (2h 0m ago)"
    )
    assert expiring(NOW + timedelta(days=6), NOW) and not expiring(NOW + timedelta(days=8), NOW)
    assert not expiring(NOW - timedelta(days=1), NOW) and not expiring(None, NOW)


def test_index_verdicts() -> None:
    used = Lookup("email", ("idx_users_email",), "idx_users_email", "")
    scanned = Lookup("xswarm_phone", ("idx_users_xswarm_phone",), "", "SCAN users")
    missing = Lookup("stripe_customer_id", (), "", "SCAN users")
    assert verdict("app", None).state == "skip"
    assert verdict("app", [used]).state == "fail"  # the other two columns are missing
    assert "users has no column xswarm_phone, stripe_customer_id" in verdict("app", [used]).detail
    bad = verdict("app", [used, scanned, missing])
    assert bad.state == "fail"
    assert "idx_users_xswarm_phone present but not used" in bad.detail
    assert "users.stripe_customer_id: no index" in bad.detail
    assert bad.fix == (
        '`tursotui db shell app "CREATE INDEX IF NOT EXISTS idx_users_xswarm_phone ON users(xswarm_phone); '
        'CREATE INDEX IF NOT EXISTS idx_users_stripe_customer ON users(stripe_customer_id)"`'
    )
    good = Lookup("xswarm_phone", ("idx_users_xswarm_phone",), "idx_users_xswarm_phone", "")
    fine = Lookup("stripe_customer_id", ("s",), "s", "")
    assert verdict("app", [used, good, fine]).state == "ok"
    assert create_index_sql("email") == "CREATE INDEX IF NOT EXISTS idx_users_email ON users(email)"


def _jwt(claims: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJFZERTQSJ9.{body}.sig"


def test_whom_a_token_is_for_and_url_hosts() -> None:
    assert (
        named(decode_claims(_jwt({"p": {"rw": {"ns": ["a", "b"]}, "ro": {"ns": ["a"]}}}))) == "a, b"
    )
    assert named(decode_claims(_jwt({"id": "uuid-1"}))) == "database id uuid-1"
    assert named(decode_claims(_jwt({"gid": "g-1"}))) == "group id g-1"
    assert named(decode_claims(_jwt({}))) == "no database"
    assert url_host("libsql://app-acme.turso.io") == "app-acme.turso.io"
    assert url_host("http://127.0.0.1:8080") == "127.0.0.1:8080"
    assert (
        url_host("http://example.com") == ""
    )  # plain HTTP off loopback is refused: not a URL here
    assert url_host("") == ""


def test_group_state_names_the_blocks_source() -> None:
    db = Database("app", group="default", block_writes=True)
    own = group_state(db, Group("default"))
    assert own.state == "fail" and own.fix == "`tursotui db config app --block-writes off --yes`"
    plan = group_state(db, Group("default"), Organization("acme", "acme", blocked_writes=True))
    assert plan.state == "fail" and "by the plan" in plan.detail
    archived = group_state(Database("app", group="default"), Group("default", archived=True))
    assert archived.fix.startswith("`tursotui group unarchive default`")
    assert group_state(Database("app", group="default"), None).state == "ok"


def test_reports_pass_unless_a_check_fails_and_fleets_list_the_worst_first() -> None:
    passing = DoctorReport(
        "app",
        "acme",
        "local",
        (ok("database", "x"), warn("quota", "y", "z"), skip("replica", "off")),
    )
    assert passing.passed and passing.counts == {"ok": 1, "warn": 1, "fail": 0, "skip": 1}
    failing = DoctorReport(
        "app", "acme", "local", (ok("database", "x"), fail("env-mode", "0644", "chmod"))
    )
    assert not failing.passed and failing.to_json()["checks"][1]["fix"] == "chmod"

    results: list[tuple[str, Check]] = [
        *((f"db{n:02d}", ok("reachable", "3 ms")) for n in range(30)),
        *((f"slow{n:02d}", warn("reachable", "600 ms", "add a replica")) for n in range(25)),
        ("dead", fail("reachable", "no answer", "check the URL")),
    ]
    summary = CheckSummary.per_database("reachable", results)
    assert summary.counts == {"ok": 30, "warn": 25, "fail": 1, "skip": 0}
    assert summary.state == "fail" and summary.fix == "check the URL"
    assert summary.findings[0].database == "dead" and len(summary.findings) == CheckSummary.SHOWN
    assert summary.detail == "30 OK, 25 WARN, 1 FAIL"
    alone = CheckSummary.of(skip("replica", "off"), "configuration")
    assert alone.state == "skip" and alone.detail == "off" and alone.findings == ()

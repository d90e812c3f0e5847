"""The console's non-UI helpers: formatting, quotas and projections, history, latency, crash files, fetching."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fixtures.fake_org import TOKEN, FakeOrg

from tursotui.ops import quota
from tursotui.ops.latency import HttpLatencyProbe, health_url, measure_all
from tursotui.ops.snapshot import fetch_snapshot, is_primary, plan_info
from tursotui.ops.usage_history import FILE_NAME, UsageHistory, UsageSample
from tursotui.platform import Plan, PlanQuotas, PlatformClient, Subscription
from tursotui.support import humanize as fmt
from tursotui.support.crash import redact, write_crash_file

from .helpers import NOW


def test_formatting() -> None:
    assert fmt.count(412_345_678) == "412.3M"
    assert fmt.count(500_000_000) == "500M"
    assert fmt.count(2_500_000_000) == "2.5B"
    assert fmt.count(999) == "999"
    assert fmt.size(5_000_000_000) == "5 GB"
    assert fmt.size(14_567_890) == "14.6 MB"
    assert fmt.size(512) == "512 B"
    assert fmt.percent(82.46913) == "82.5%"
    assert fmt.latency(None) == "unreachable"
    assert fmt.latency(0.3) == "<1 ms"
    assert fmt.latency(141.7) == "142 ms"
    assert fmt.utc_stamp(NOW) == "20260615T120000Z"


def test_plan_info_from_ops_plan_never_the_free_plan_in_place_of_an_unknown_one() -> None:
    starter = Plan("starter", quotas=PlanQuotas(rows_read=500_000_000))
    scaler = Plan("scaler", quotas=PlanQuotas(rows_read=100_000_000_000))
    chosen = plan_info([starter, scaler], Subscription("scaler_overages"), None, {}, NOW)
    assert (chosen.name, chosen.quotas.rows_read, chosen.quotas_known) == (
        "scaler",
        100_000_000_000,
        True,
    )
    none = plan_info(None, None, None, {"plans": "403", "subscription": "403"}, NOW)
    assert none.name == "plan unknown" and not none.quotas_known
    assert none.quotas == PlanQuotas()  # nothing to hold usage against, not the Free plan's limits
    assert dict(none.refused) == {"plans": "403", "subscription": "403"}


@pytest.mark.parametrize(
    ("percent", "level"),
    [
        (None, ""),
        (0.0, ""),
        (74.9, ""),
        (75.0, "-warning"),
        (89.9, "-warning"),
        (90.0, "-error"),
        (99.99, "-error"),
        (100.0, "-full"),
        (250.0, "-full"),
    ],
)
def test_levels(percent: float | None, level: str) -> None:
    assert quota.level(percent) == level


def test_usage_percent_unlimited() -> None:
    assert quota.usage_percent(5, None) is None
    assert quota.usage_percent(5, 0) is None
    assert quota.usage_percent(5, 10) == 50.0


def test_reset_is_first_of_next_month_utc() -> None:
    assert quota.next_reset(NOW) == datetime(2026, 7, 1, tzinfo=UTC)
    assert quota.next_reset(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert quota.reset_text(NOW) == "resets Wed 01 Jul 2026 00:00 UTC (in 15 d 12 h)"


def test_projection_linear_from_history() -> None:
    # 10M rows read per hour over the last 10 hours; 400M used of 500M: 10 more hours
    history = [(NOW - timedelta(hours=h), 400_000_000 - h * 10_000_000) for h in range(10, 0, -1)]
    result = quota.project(history, NOW, 400_000_000, 500_000_000)
    assert result.runs_out == NOW + timedelta(hours=10)
    assert result.text == "At this rate the rows-read quota runs out on Mon 15 Jun 2026 22:00 UTC"


def test_projection_not_within_period_and_edge_cases() -> None:
    flat = [(NOW - timedelta(hours=h), 1_000) for h in range(5, 0, -1)]
    assert quota.project(flat, NOW, 1_000, 500_000_000).text.endswith("not within this period")
    slow = [(NOW - timedelta(days=1), 0)]
    assert quota.project(slow, NOW, 1_000_000, 500_000_000).runs_out is None
    assert "used up" in quota.project([], NOW, 600, 500).text
    # a new, nearly idle org: a rate so small that the date would overflow datetime
    crawl = [(NOW - timedelta(seconds=1), 0)]
    assert quota.project(crawl, NOW, 1, 250_000_000_000_000).runs_out is None
    assert "unlimited" in quota.project([], NOW, 600, None).text
    # without history: the period's average so far (412M in 14.5 days -> runs out in ~3 days)
    average = quota.project([], NOW, 412_345_678, 500_000_000)
    assert average.runs_out is not None and average.runs_out.date().isoformat() == "2026-06-18"


def test_hourly_rates_skip_resets_and_zero_gaps() -> None:
    t = NOW
    points = [
        (t, 0),
        (t + timedelta(hours=1), 100),
        (t + timedelta(hours=1), 150),
        (t + timedelta(hours=2), 10),
    ]
    assert quota.hourly_rates(points) == [100.0]


def test_history_spacing_bound_and_atomic_file(tmp_path: Path) -> None:
    store = UsageHistory(tmp_path, "cloud:acme", max_samples=3)
    for minutes in (0, 0.5, 1, 2, 3, 4):
        store.record(UsageSample(NOW + timedelta(minutes=minutes), rows_read=int(minutes * 10)))
    samples = store.samples
    assert [s.rows_read for s in samples] == [20, 30, 40]  # 0.5 min skipped, bounded to 3
    path = tmp_path / FILE_NAME
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    raw = json.loads(path.read_text())
    assert raw["version"] == 1 and list(raw["series"]) == ["cloud:acme"]
    again = UsageHistory(tmp_path, "cloud:acme")
    assert again.samples == samples
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_history_survives_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{not json")
    store = UsageHistory(tmp_path, "local:local")
    assert store.samples == []
    assert store.record(UsageSample(NOW))
    assert len(UsageHistory(tmp_path, "local:local").samples) == 1


def test_health_url_scheme() -> None:
    assert health_url("db-acme.turso.io") == "https://db-acme.turso.io/health"
    assert health_url("127.0.0.1:8080") == "http://127.0.0.1:8080/health"
    assert health_url("localhost:8080") == "http://localhost:8080/health"
    assert health_url("xswarm-users.localhost:8080") == "http://xswarm-users.localhost:8080/health"


async def test_latency_probe_times_health_and_sends_no_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "down.turso.io":
            raise httpx.ConnectError("refused")
        return httpx.Response(200)

    ticks = iter([1.0, 1.025, 2.0, 2.5])
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        probe = HttpLatencyProbe(client, timer=lambda: next(ticks))
        assert await probe("up.turso.io") == pytest.approx(25.0)
        assert await probe("down.turso.io") is None
        assert await probe("") is None
    assert [str(r.url) for r in seen] == [
        "https://up.turso.io/health",
        "https://down.turso.io/health",
    ]
    assert all("authorization" not in r.headers for r in seen)


async def test_measure_all_probes_each_host_once() -> None:
    calls: list[str] = []

    async def probe(host: str) -> float | None:
        calls.append(host)
        return 1.0

    assert await measure_all(probe, ["a", "b", "a"]) == {"a": 1.0, "b": 1.0}
    assert sorted(calls) == ["a", "b"]


def test_redact_known_tokens_and_jwts() -> None:
    jwt = "eyJhbGciOiJFZERTQSJ9.eyJhIjoicncifQ.c2lnbmF0dXJlLWJ5dGVz"
    text = redact(f"token {TOKEN} and {jwt} and Authorization: Bearer abcdefghijkl", [TOKEN])
    assert TOKEN not in text and jwt not in text and "abcdefghijkl" not in text
    assert "tursotui-test" not in text


def test_redact_masks_a_bearer_jwt_once() -> None:
    jwt = "eyJhbGciOiJFZERTQSJ9.eyJpZCI6ImRiIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = redact(f"Authorization: Bearer {jwt}", [])
    assert text == f"Authorization: Bearer eyJh…({len(jwt)} chars)"
    assert redact(text, []) == text  # masking again changes nothing


def test_crash_file_has_no_locals_and_no_tokens(tmp_path: Path) -> None:
    def explode(token: str) -> None:
        hidden_local = "".join(["LOCAL", "ONLY", "VALUE"])
        raise RuntimeError(f"bad answer for {token} ({len(hidden_local)})")

    try:
        explode(TOKEN)
    except RuntimeError as exc:
        path = write_crash_file(tmp_path, exc, [TOKEN], NOW)
    assert path.name == "crash-20260615T120000Z.log"
    text = path.read_text()
    assert "RuntimeError: bad answer for" in text and "explode" in text
    assert TOKEN not in text and "LOCALONLYVALUE" not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_primary_matching_accepts_both_spellings() -> None:
    assert is_primary("aws-us-east-1", {"us-east-1"})
    assert is_primary("aws-us-east-1", {"aws-us-east-1"})
    assert not is_primary("aws-us-east-2", {"aws-us-east-1"})


async def test_snapshot_falls_back_to_per_database_usage() -> None:
    org = FakeOrg.acme(usage_in_org=False)
    async with PlatformClient(
        TOKEN, organization="acme", transport=org.transport, max_retries=0
    ) as api:
        snapshot = await fetch_snapshot(api, NOW)
    assert snapshot.db_usage["xswarm-users"].storage_bytes == 900_000_000
    assert org.count("GET", "/databases/xswarm-users/usage") == 1
    assert snapshot.plan is not None and snapshot.plan.name == "starter"
    assert snapshot.plan.quotas_known
    assert snapshot.plan_view is not None and snapshot.plan_view.label == "starter"
    assert snapshot.warnings == ()


async def test_snapshot_uses_org_usage_and_degrades_to_warnings() -> None:
    org = FakeOrg.acme()
    org.fail["GET /v1/organizations/acme/groups"] = (500, {"error": "groups are down"})
    async with PlatformClient(
        TOKEN, organization="acme", transport=org.transport, max_retries=0
    ) as api:
        snapshot = await fetch_snapshot(api, NOW)
    assert not [c for c in org.calls if c.endswith("/usage") and "/databases/" in c]
    assert snapshot.groups == {}
    assert len(snapshot.warnings) == 1 and "groups are down" in snapshot.warnings[0]


def test_helpers_import_without_textual() -> None:
    """The non-UI helpers stay importable (and testable) without Textual, like the lower layers."""
    import subprocess
    import sys

    modules = [
        "tursotui.ui",
        "tursotui.ui.services",
        "tursotui.ops.snapshot",
        "tursotui.ops.quota",
        "tursotui.ops.usage_history",
        "tursotui.ops.latency",
        "tursotui.support.crash",
        "tursotui.support.humanize",
    ]
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_services_from_settings(tmp_path: Path) -> None:
    from tursotui.config import CliOptions, resolve
    from tursotui.ui.services import Services

    config = tmp_path / "config.toml"
    config.write_text(
        '[turso]\ndatabase_name = "xswarm-users"\norganization = "acme"\n'
        '[tursotui]\nrefresh_interval_seconds = 2.5\ntheme = "ansi-light"\nread_only = true\n'
    )
    settings = resolve(
        CliOptions(config=str(config), data_dir=str(tmp_path / "d"), target="cloud"),
        environ={"TURSO_API_TOKEN": TOKEN},
    )
    platform = PlatformClient(TOKEN, organization="acme")
    services = Services.from_settings(settings, platform)
    assert services.banner == "Turso Cloud · org acme"
    assert (services.database_name, services.refresh_interval, services.theme) == (
        "xswarm-users",
        2.5,
        "ansi-light",
    )
    assert services.read_only and services.target == "cloud" and services.data_dir == tmp_path / "d"
    assert tuple(services.secrets) == (TOKEN,)
    assert TOKEN not in repr(services)
    assert services.history_key == "cloud:acme"
    # The console's SQL actions share one session: read-only mode never gets a writable token.
    from tursotui.ops.session_tokens import session_tokens

    session = session_tokens(platform)
    assert session.configured is None and session.writes_allowed is False


def test_services_from_settings_hands_the_configured_token_to_the_session(tmp_path: Path) -> None:
    from tursotui.config import CliOptions, resolve
    from tursotui.ops.session_tokens import session_tokens
    from tursotui.ui.services import Services

    config = tmp_path / "config.toml"
    config.write_text('[turso]\norganization = "acme"\n')
    settings = resolve(
        CliOptions(config=str(config), data_dir=str(tmp_path / "d"), target="cloud"),
        environ={"TURSO_API_TOKEN": TOKEN, "TURSO_AUTH_TOKEN": "eyJapp.token.x"},
    )
    platform = PlatformClient(TOKEN, organization="acme")
    Services.from_settings(settings, platform)
    session = session_tokens(platform)
    assert session.configured == "eyJapp.token.x" and session.writes_allowed is True

"""The local Turso's profile (plan, overages, platform) on real sqld, through the Platform API and validated
against Turso's spec: plans and subscription as Turso Cloud answers them, the restore window per plan, the
profile kept across restarts, another organization's path (403), paged database lists and the database type."""

from __future__ import annotations

import json
import re
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import checked_org

from tursotui.local.control.profile import ProfileChoice
from tursotui.local.control.state import StateError
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import BadRequest, Forbidden
from tursotui.platform.models import Seed

DAY = 86_400


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def serving(
    directory: Path, binary: Path, profile: ProfileChoice | None = None, *, retention_days: int = 30
) -> AbstractAsyncContextManager[tuple[LocalTurso, PlatformClient]]:
    """A local Turso with ``profile`` and a client whose every exchange is checked against the spec."""
    return checked_org(
        directory, binary, profile=profile, retention_days=retention_days, quota_interval=0
    )


async def test_the_default_profile_is_todays_free_fly_org_and_is_recorded(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as (_, platform):
        subscription = await platform.get_subscription()
        assert (subscription.plan, subscription.name, subscription.overages) == (
            "starter",
            "starter",
            False,
        )
        org = await platform.get_organization()
        assert (org.plan_id, org.overages, org.blocked_reads, org.blocked_writes) == (
            "starter",
            False,
            False,
            False,
        )
        assert {"sjc", "iad", "fra"} <= set(await platform.list_locations())
    recorded = json.loads((tmp_path / "org" / "profile.json").read_text())
    assert recorded == {"overages": False, "plan": "starter", "platform": "fly"}
    assert (tmp_path / "org" / "profile.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("plan", "overages", "reported"),
    [
        ("starter", False, "starter"),
        ("developer", True, "developer_overages"),
        ("scaler", False, "scaler"),
        ("scaler", True, "scaler_overages"),
        ("pro", True, "pro_overages"),
        ("enterprise", False, "enterprise"),
    ],
)
async def test_plans_subscription_and_organization_answer_like_the_cloud(
    tmp_path: Path, sqld_binary: Path, plan: str, overages: bool, reported: str
) -> None:
    profile = ProfileChoice(plan=plan, overages=overages)
    async with serving(tmp_path / "org", sqld_binary, profile) as (_, platform):
        subscription = await platform.get_subscription()
        # The cloud reports `<plan>_overages` (turso-cli cmd/plan.go strips it before the lookup).
        assert (subscription.plan, subscription.name, subscription.overages) == (
            reported,
            plan,
            overages,
        )
        org = await platform.get_organization()
        assert (org.plan_id, org.overages) == (reported, overages)
        assert [o.plan_id for o in await platform.list_organizations()] == [reported]
        plans = {p.name: p for p in await platform.list_plans()}
        assert list(plans) == ["starter", "developer", "scaler", "pro", "enterprise"]  # base names
        base = plans[subscription.plan.removesuffix("_overages")]
        assert base.name == plan
    # The 2026 plan table (ecosystem-2026.md §5a); 0/null read as unlimited, as turso-cli does.
    quotas = {name: p.quotas for name, p in plans.items()}
    assert (quotas["starter"].rows_read, quotas["starter"].rows_written) == (
        500_000_000,
        10_000_000,
    )
    assert (quotas["starter"].databases, quotas["starter"].storage_bytes) == (100, 5_000_000_000)
    assert quotas["starter"].bytes_synced == 3_000_000_000
    assert (quotas["developer"].rows_read, quotas["developer"].rows_written) == (
        2_500_000_000,
        25_000_000,
    )
    assert (quotas["developer"].storage_bytes, quotas["developer"].databases) == (
        9_000_000_000,
        None,
    )
    assert (quotas["scaler"].rows_read, quotas["scaler"].storage_bytes) == (
        100_000_000_000,
        24_000_000_000,
    )
    assert (quotas["pro"].rows_written, quotas["pro"].bytes_synced) == (
        250_000_000,
        100_000_000_000,
    )
    enterprise = quotas["enterprise"]
    assert enterprise.rows_read is None and enterprise.storage_bytes is None  # 0: unlimited


async def test_a_restart_keeps_the_profile_and_a_new_choice_wins_and_is_recorded(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    async with serving(directory, sqld_binary, ProfileChoice(plan="scaler", overages=True)) as (
        turso,
        _,
    ):
        assert turso.profile.subscription_plan == "scaler_overages"
    async with serving(directory, sqld_binary) as (turso, platform):  # nothing asked: kept
        assert (await platform.get_subscription()).plan == "scaler_overages"
        assert turso.cp.notices == []
    async with serving(directory, sqld_binary, ProfileChoice(plan="pro", overages=False)) as (
        turso,
        platform,
    ):
        assert (await platform.get_subscription()).plan == "pro"
        assert any("scaler -> pro" in n and "overages True -> False" in n for n in turso.cp.notices)
    recorded = json.loads((directory / "profile.json").read_text())
    assert recorded == {"overages": False, "plan": "pro", "platform": "fly"}


async def test_an_impossible_or_corrupt_profile_is_refused_naming_what_is_wrong(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    turso = LocalTurso(directory, binary=sqld_binary, profile=ProfileChoice(overages=True))
    with pytest.raises(StateError, match=r"overages need a paid plan.*--plan"):
        await turso.start()
    assert not (directory / "profile.json").exists()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "profile.json").write_text('{"plan": "gold"}')
    with pytest.raises(StateError, match=r"profile\.json: unknown plan 'gold'"):
        await LocalTurso(directory, binary=sqld_binary).start()
    assert (directory / "profile.json").read_text() == '{"plan": "gold"}'  # left as it was


async def _aged_database(turso: LocalTurso, platform: PlatformClient, days: float) -> None:
    """``src`` with a recovery point (and a creation) ``days`` in the past."""
    await platform.create_group("default", "sjc")
    await platform.create_database("src", "default")
    turso.cp.state.databases["src"].created_at -= days * DAY
    for point in turso.cp.state.recovery_points["src"]:
        point.taken_at -= days * DAY


@pytest.mark.parametrize(
    ("plan", "ago_days", "refused"),
    [
        ("starter", 2, "starter plan's point-in-time recovery window (1 day)"),
        ("developer", 2, None),
        ("developer", 11, "developer plan's point-in-time recovery window (10 days)"),
        ("scaler", 29, None),
        ("scaler", 31, "scaler plan's point-in-time recovery window (30 days)"),
        ("pro", 89, None),
        ("pro", 91, "pro plan's point-in-time recovery window (90 days)"),
        ("enterprise", 96, "outside the 95-day recovery window ([turso.backup] retention_days)"),
    ],
)
async def test_the_restore_window_is_the_plans(
    tmp_path: Path, sqld_binary: Path, plan: str, ago_days: int, refused: str | None
) -> None:
    async with serving(
        tmp_path / "org", sqld_binary, ProfileChoice(plan=plan), retention_days=95
    ) as (turso, platform):
        await _aged_database(turso, platform, days=ago_days + 1)
        seed = Seed.restore("src", rfc3339(datetime.now(UTC) - timedelta(days=ago_days)))
        if refused is None:
            created = await platform.create_database("restored", "default", seed=seed)
            assert created.name == "restored"
        else:
            with pytest.raises(BadRequest, match=re.escape(refused)):
                await platform.create_database("restored", "default", seed=seed)
            assert "restored" not in {d.name for d in await platform.list_databases()}


async def test_another_organizations_path_is_a_403_in_the_clouds_shape(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as (turso, platform):
        await platform.create_group("default", "sjc")
        with pytest.raises(Forbidden, match="not a member of organization other"):
            await platform.list_databases(org="other")
        headers = {"Authorization": f"Bearer {turso.api_token}"}
        async with httpx.AsyncClient(
            transport=turso.transport(), base_url=IN_PROCESS_BASE_URL
        ) as http:
            for method, path in [
                ("GET", "/v1/organizations/other"),
                ("GET", "/v1/organizations/other/databases"),
                ("GET", "/v1/organizations/other/usage"),
                ("POST", "/v1/organizations/other/groups/default/auth/rotate"),
                ("DELETE", "/v1/organizations/other/groups/default"),
            ]:
                answer = await http.request(method, path, headers=headers)
                assert answer.status_code == 403, (method, path)
                body = answer.json()
                assert set(body) == {"error"} and "other" in body["error"]
            # A bad token is still a 401 first, whatever the organization.
            refused = await http.get(
                "/v1/organizations/other", headers={"Authorization": "Bearer x"}
            )
            assert refused.status_code == 401
        assert [g.name for g in await platform.list_groups()] == ["default"]  # nothing was touched


async def test_database_lists_are_paged_as_turso_cli_asks(
    tmp_path: Path, sqld_binary: Path
) -> None:
    names = [f"db-{n:02d}" for n in range(7)]
    async with serving(tmp_path / "org", sqld_binary) as (turso, platform):
        await platform.create_group("default", "sjc")
        await platform.create_group("other", "fra")
        for name in names:
            await platform.create_database(name, "default")
        await platform.create_database("z-elsewhere", "other")
        # tursotui's client follows pagination.next: every database, once, in order.
        paged = await platform.list_databases(page_size=3)
        assert [d.name for d in paged] == [*names, "z-elsewhere"]
        assert [
            d.name for d in await platform.list_databases(group="default", page_size=2)
        ] == names
        headers = {"Authorization": f"Bearer {turso.api_token}"}
        path = "/v1/organizations/local/databases"
        async with httpx.AsyncClient(
            transport=turso.transport(), base_url=IN_PROCESS_BASE_URL
        ) as http:
            first = (await http.get(path, params={"limit": 3}, headers=headers)).json()
            assert [d["Name"] for d in first["databases"]] == names[:3]
            cursor = first["pagination"]["next"]
            await platform.delete_database("db-03")  # between two pages: nothing repeats or shifts
            second = (
                await http.get(path, params={"limit": 3, "cursor": cursor}, headers=headers)
            ).json()
            assert [d["Name"] for d in second["databases"]] == ["db-04", "db-05", "db-06"]
            last = (
                await http.get(
                    path,
                    params={"limit": 3, "cursor": second["pagination"]["next"]},
                    headers=headers,
                )
            ).json()
            assert [d["Name"] for d in last["databases"]] == ["z-elsewhere"]
            assert last["pagination"] == {"next": None}
            unpaged = (await http.get(path, headers=headers)).json()
            assert "pagination" not in unpaged and len(unpaged["databases"]) == 7
            for params, problem in [({"limit": "0"}, "invalid limit"), ({"limit": "x"}, "invalid limit"),
                                    ({"limit": 2, "cursor": "%%%"}, "invalid cursor")]:  # fmt: skip
                answer = await http.get(path, params=params, headers=headers)
                assert answer.status_code == 400 and problem in answer.json()["error"]


async def test_databases_carry_the_specs_type_and_a_libsql_id(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as (_, platform):
        await platform.create_group("default", "sjc")
        for n in range(20):
            await platform.create_database(f"db-{n}", "default")
        listed = await platform.list_databases()
        shown = await platform.get_database("db-0")
    # "logical": the spec's Database.type (its documented default); the id's byte 5 is never 0x10,
    # which turso-cli reads as a database of the new Turso engine (cmd/db_show.go isTursoDB).
    assert {d.type for d in listed} == {"logical"} and shown.type == "logical"
    assert all(uuid.UUID(d.db_id).bytes[5] != 0x10 for d in listed)

"""The operator's commands end to end, in-process against the local Turso on real sqld (config and data dir in
tmp_path): ``db config`` (shown, changed after the typed name or --yes, bad values refused before anything is
contacted), ``db inspect [--queries]``, ``group list|unarchive`` with a database error that says "archived", and
``plan show`` on the local Turso's profiles (overages billed, a refused /subscription, a plan nobody names)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import httpx
import pytest
from fixtures.cli import Env, fill, local_env, run
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso


async def _seed(directory: Path, binary: Path, profile: ProfileChoice | None, rows: int) -> None:
    async with started_org(
        directory,
        binary,
        groups={"default": ["sjc", "iad"]},
        databases=[("app", "default")],
        profile=profile,
    ) as turso:
        await fill(
            turso,
            "app",
            [
                "create table users(id integer primary key, email text)",
                *[("insert into users(email) values (?)", [f"u{i}@e"]) for i in range(rows)],
            ],
        )
        platform = turso.platform_client(max_retries=0)
        token = (await platform.create_database_token("app")).jwt
        async with HranaClient((await platform.get_database("app")).url, token) as sql:
            for _ in range(3):
                await sql.execute("select * from users")
        # Usage asked once, so the stop reads the meters (sqld saves its counters only every 5 s).
        await platform.organization_usage()
        await platform.aclose()


def make_env(
    tmp_path: Path,
    binary: Path,
    *,
    profile: ProfileChoice | None = None,
    rows: int = 30,
    config: str = "",
) -> Env:
    env = local_env(tmp_path, binary, config=config)
    asyncio.run(_seed(env.turso_dir, binary, profile, rows))
    return env


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    return make_env(tmp_path, sqld_binary)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def _local_post(env: Env, path: str) -> None:
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=env.binary) as turso:
        headers = {"Authorization": f"Bearer {turso.api_token}"}
        transport = turso.transport()
        async with httpx.AsyncClient(
            transport=transport, base_url=IN_PROCESS_BASE_URL, headers=headers
        ) as http:
            answer = await http.post(f"/v1/organizations/{turso.organization}{path}")
        assert answer.status_code == 200, answer.text


# -- db config ---------------------------------------------------------------------------------------------------


def test_db_config_shows_and_changes_after_the_typed_name(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = run(env, capsys, "db", "config", "app")
    assert shown.code == 0
    assert (
        "delete protection          off" in shown.out
        and "size limit                 none" in shown.out
    )
    assert "allowed IPs                any" in shown.out
    before = run(env, capsys, "db", "config", "app", "--json").json()["configuration"]
    assert before == {
        "allow_attach": False,
        "allowed_aws_vpc_ids": [],
        "allowed_ips": [],
        "block_reads": False,
        "block_writes": False,
        "delete_protection": False,
        "size_limit": None,
    }

    change = ("db", "config", "app", "--delete-protection", "on", "--size-limit", "1gb")
    monkeypatch.setattr("sys.stdin", _Terminal("yes\n"))
    wrong = run(env, capsys, *change)
    assert wrong.code == 2 and "Type 'app' to change the configuration of app" in wrong.err
    assert "delete protection: off -> on" in wrong.err and "size limit: none -> 1gb" in wrong.err
    assert "not confirmed" in wrong.err
    assert run(env, capsys, "db", "config", "app", "--json").json()["configuration"] == before

    monkeypatch.setattr("sys.stdin", _Terminal("app\n"))
    done = run(env, capsys, *change)
    assert done.code == 0, done.err
    assert "changed: delete protection: off -> on; size limit: none -> 1gb" in done.out
    refused = run(env, capsys, "db", "config", "app", "--json").json()["configuration"]
    assert (refused["delete_protection"], refused["size_limit"]) == (True, "1gb")

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: --yes is needed
    needs_yes = run(env, capsys, "db", "config", "app", "--block-writes", "on")
    assert needs_yes.code == 2 and "without --yes" in needs_yes.err
    ips = run(
        env,
        capsys,
        *("db", "config", "app", "--allow-ip", "10.0.0.0/8", "--allow-ip", "203.0.113.7"),
        *("--block-writes", "on", "--size-limit", "none", "--yes", "--json"),
    )
    assert ips.code == 0, ips.err
    body = ips.json()
    assert body["configuration"]["allowed_ips"] == ["10.0.0.0/8", "203.0.113.7"]
    assert body["configuration"]["block_writes"] is True
    assert body["configuration"]["size_limit"] is None
    assert "allowed IPs: any -> 10.0.0.0/8, 203.0.113.7" in body["changed"]
    assert "cannot check them" in ips.err  # the local Turso's loopback note
    same = run(env, capsys, "db", "config", "app", "--block-writes", "on", "--yes")
    assert same.code == 0 and "nothing to change" in same.out
    cleared = run(env, capsys, "db", "config", "app", "--allow-any-ip", "--yes", "--json")
    assert cleared.json()["configuration"]["allowed_ips"] == []


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        (("--delete-protection", "maybe"), "--delete-protection takes on or off, not 'maybe'"),
        (("--block-reads", "yes"), "--block-reads takes on or off, not 'yes'"),
        (("--size-limit", "1xb"), "--size-limit takes bytes or a size with a unit"),
        (("--allow-ip", "300.1.1.1"), "--allow-ip: invalid IP address '300.1.1.1'"),
        (("--allow-ip", "10.0.0.0/40"), "--allow-ip: invalid CIDR block '10.0.0.0/40'"),
        (("--allow-ip", "10.0.0.1", "--allow-any-ip"), "contradict each other"),
    ],
)
def test_db_config_refuses_bad_values_before_contacting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...], problem: str
) -> None:
    env = Env(tmp_path, Path("/nonexistent"))
    env.config.write_text('[tursotui]\ntarget = "local"\n')
    result = run(env, capsys, "db", "config", "app", *flags, "--yes")
    assert result.code == 2 and problem in result.err
    assert not (tmp_path / "data" / "local-turso").exists()  # nothing was started or created
    bad_name = run(env, capsys, "db", "config", "Bad Name")
    assert bad_name.code == 2 and "invalid database name" in bad_name.err


def test_delete_protection_set_by_the_cli_refuses_the_delete(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(env, capsys, "db", "config", "app", "--delete-protection", "on", "--yes").code == 0

    async def delete() -> str:
        async with LocalTurso(env.turso_dir, recovery_interval=0, binary=env.binary) as turso:
            platform = turso.platform_client(max_retries=0)
            try:
                await platform.delete_database("app")
            except Exception as exc:
                return str(exc)
            finally:
                await platform.aclose()
        return "deleted"

    assert "database app is delete-protected and cannot be deleted" in asyncio.run(delete())


# -- db inspect --------------------------------------------------------------------------------------------------


def test_db_inspect_names_instances_and_lists_top_queries(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    body = run(env, capsys, "db", "inspect", "app", "--json").json()
    assert body["database"] == "app" and "queries" not in body
    instances = {i["location"]: i for i in body["instances"]}
    assert set(instances) == {"sjc", "iad"}
    assert (instances["sjc"]["type"], instances["iad"]["type"]) == ("primary", "replica")
    assert instances["sjc"]["usage"]["rows_written"] >= 30
    assert body["usage"]["storage_bytes"] > 0

    text = run(env, capsys, "db", "inspect", "app", "--queries")
    assert text.code == 0
    assert "LOCATION  TYPE     INSTANCE  ROWS READ" in text.out
    assert " kB" in text.out or " MB" in text.out  # decimal sizes
    assert "top queries (last 24 hours, from usage/queries)" in text.out
    assert "select * from users" in text.out
    queries = run(env, capsys, "db", "inspect", "app", "--queries", "--json").json()["queries"]
    scan = next(q for q in queries if q["query"] == "select * from users")
    assert scan["count"] == 3 and scan["rows_read"] >= 90
    assert scan["mean_ms"] is not None and scan["elapsed_ms"] >= 0
    missing = run(env, capsys, "db", "inspect", "nosuch")
    assert missing.code == 1 and "nosuch" in missing.err


# -- groups and archived databases -------------------------------------------------------------------------------


def test_an_archived_group_is_listed_said_and_unarchived(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = run(env, capsys, "group", "list", "--json").json()
    assert [(g["name"], g["archived"], g["locations"]) for g in listed["groups"]] == [
        ("default", False, ["sjc", "iad"])
    ]
    asyncio.run(_local_post(env, "/groups/default/local-archive"))

    text = run(env, capsys, "group", "list")
    assert "default  sjc      sjc, iad   archived" in text.out
    assert "group default is archived — unarchive with `tursotui group unarchive default`" in (
        text.out
    )
    assert run(env, capsys, "group", "list", "--json").json()["groups"][0]["status"] == "archived"
    listed_db = run(env, capsys, "db", "list")
    assert "archived" in listed_db.out
    backup = run(env, capsys, "backup", "app", "--dir", str(env.root / "backups"))
    assert backup.code == 1
    assert "database app is archived — unarchive with `tursotui group unarchive default`" in (
        backup.err
    )
    assert "HTTP 502" not in backup.err
    inspect = run(env, capsys, "db", "inspect", "app")
    assert "archived — unarchive with `tursotui group unarchive default`" in inspect.out

    woken = run(env, capsys, "group", "unarchive", "default", "--json")
    assert woken.code == 0 and woken.json()["group"]["archived"] is False
    again = run(env, capsys, "backup", "app", "--dir", str(env.root / "backups"), "--json")
    assert again.code == 0, again.err
    assert run(env, capsys, "group", "unarchive", "nosuch").code == 1
    assert run(env, capsys, "group", "unarchive", "Bad Name").code == 2


# -- plan --------------------------------------------------------------------------------------------------------


def test_plan_show_with_overages_bills_the_excess(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data" / "local-turso").mkdir(parents=True)
    (tmp_path / "data" / "local-turso" / "plan-overrides.json").write_text(
        json.dumps({"scaler": {"rowsWritten": 10}})
    )
    env = make_env(
        tmp_path,
        sqld_binary,
        config='local_plan = "scaler"\nlocal_overages = true\n',
        rows=30,
    )
    body = run(env, capsys, "plan", "show", "--json").json()
    assert (body["plan"], body["plan_source"], body["overages"]) == ("scaler", "subscription", True)
    assert body["timeline"] == "monthly" and body["quotas_known"] is True
    written = next(row for row in body["usage"] if row["key"] == "rows_written")
    assert written["limit"] == 10 and written["used"] >= 30
    assert written["billed_excess"] == written["used"] - 10
    assert written["state"] == "over the quota: the excess is billed (overages on)"
    read = next(row for row in body["usage"] if row["key"] == "rows_read")
    assert read["limit"] == 100_000_000_000 and read["billed_excess"] is None
    assert body["blocked_writes"] is False  # billed, not blocked
    text = run(env, capsys, "plan", "show")
    assert "plan          scaler\n" in text.out  # the base name, not scaler_overages
    assert "overages      on: usage past a quota is billed" in text.out
    assert "OVERAGE (BILLED)" in text.out and "used up" not in text.out


def test_plan_show_without_overages_says_used_up(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data" / "local-turso").mkdir(parents=True)
    (tmp_path / "data" / "local-turso" / "plan-overrides.json").write_text(
        json.dumps({"starter": {"rowsWritten": 10}})
    )
    env = make_env(tmp_path, sqld_binary, rows=30)
    body = run(env, capsys, "plan", "show", "--json").json()
    assert (body["plan"], body["overages"], body["blocked_writes"]) == ("starter", False, True)
    written = next(row for row in body["usage"] if row["key"] == "rows_written")
    assert written["state"] == "used up: blocked until the quota resets"
    assert written["billed_excess"] is None
    text = run(env, capsys, "plan", "show")
    assert "OVERAGE" not in text.out and "blocked       writes" in text.out


def test_plan_show_falls_back_to_plan_id_then_plan_unknown(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(tmp_path, sqld_binary, profile=ProfileChoice(plan="pro", overages=True))
    refusals = env.turso_dir / "refusals.json"
    refusals.write_text('["subscription"]')
    body = run(env, capsys, "plan", "show", "--json").json()
    assert (body["plan"], body["plan_source"], body["overages"]) == (
        "pro",
        "organization.plan_id",
        True,
    )
    assert body["quotas_known"] is True  # /plans still answers
    assert any("/subscription unavailable" in note for note in body["notes"])

    refusals.write_text('["subscription", "plans"]')
    body = run(env, capsys, "plan", "show", "--json").json()
    assert body["plan"] == "pro" and body["quotas_known"] is False
    assert all(row["limit"] is None and not row["unlimited"] for row in body["usage"])
    text = run(env, capsys, "plan", "show")
    assert "plan          pro (from organization.plan_id)" in text.out
    assert "unknown" in text.out and "unlimited" not in text.out  # never Free-plan limits

    refusals.write_text('["subscription", "plans", "organization"]')
    body = run(env, capsys, "plan", "show", "--json").json()
    assert (body["plan"], body["plan_known"], body["overages"]) == (None, False, None)
    text = run(env, capsys, "plan", "show")
    assert text.code == 0
    assert "plan          plan unknown" in text.out and "overages      unknown" in text.out

"""The local Turso's platforms on real sqld: ``aws`` (the aws-* codes of new organizations, replicas refused as
on Turso Cloud) and ``fly`` (the seed's legacy codes, replicas work); the profile given to ``tursotui local
serve`` as flags and to the console's local Turso as ``[tursotui]`` keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import checked_org, local_serve, stop_serving

from tursotui.config import CliOptions, ConfigError, resolve
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.process import LocalTursoProcess
from tursotui.local.host.service import LocalTurso
from tursotui.platform.errors import BadRequest

AWS_CODES = {
    "aws-ap-northeast-1",
    "aws-ap-south-1",
    "aws-eu-west-1",
    "aws-us-east-1",
    "aws-us-east-2",
    "aws-us-west-2",
}


async def test_aws_locations_groups_and_the_refused_replica(
    tmp_path: Path, sqld_binary: Path
) -> None:
    aws = ProfileChoice(platform="aws")
    async with checked_org(tmp_path / "org", sqld_binary, profile=aws) as (turso, platform):
        assert set(await platform.list_locations()) == AWS_CODES
        with pytest.raises(BadRequest, match="invalid location 'sjc'"):
            await platform.create_group("legacy", "sjc")
        group = await platform.create_group("default", "aws-us-east-1")
        assert (group.primary, group.locations) == ("aws-us-east-1", ("aws-us-east-1",))
        await platform.create_database("app", "default")
        db = await platform.get_database("app")
        assert (db.primary_region, db.regions) == ("aws-us-east-1", ("aws-us-east-1",))
        for code in ("aws-eu-west-1", "iad"):
            with pytest.raises(BadRequest, match="replication is not available on AWS") as refused:
                await platform.add_location("default", code)
            assert "deprecated" in str(refused.value)
        assert (await platform.get_group("default")).locations == ("aws-us-east-1",)
        instances = await platform.list_instances("app")
        assert [(i.type, i.region) for i in instances] == [("primary", "aws-us-east-1")]
        assert sorted(turso.cp.dataplane.nodes) == ["primary"]  # no replica sqld was started
        plans = {p.name: p for p in await platform.list_plans()}
        assert plans["starter"].quotas.locations == 1  # multi-region: deprecated for new users
        token = (await platform.create_database_token("app")).jwt
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"http://{turso.cp.hostname(turso.cp.database('app'))}/v2/pipeline",
                json={"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}]},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert answer.status_code == 200  # an AWS group serves SQL like any other


async def test_fly_groups_take_replicas_and_a_legacy_group_keeps_them_under_aws(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        client = turso.platform_client(max_retries=0)
        assert (
            await client.add_location((await client.create_group("g", "sjc")).name, "iad")
        ).locations == (
            "sjc",
            "iad",
        )
        with pytest.raises(BadRequest, match="invalid location 'aws-us-east-1'"):
            await client.add_location("g", "aws-us-east-1")
        await client.aclose()
    aws = ProfileChoice(platform="aws")
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary, profile=aws) as turso:
        client = turso.platform_client(max_retries=0)
        assert set(await client.list_locations()) == AWS_CODES
        # An older organization's Fly group keeps working, and its replicas, as on Turso Cloud.
        assert (await client.add_location("g", "fra")).locations == ("sjc", "iad", "fra")
        await client.remove_location("g", "iad")
        await client.aclose()


def test_local_serve_takes_the_profile_as_flags_and_keeps_it(tmp_path: Path) -> None:
    port = free_port()
    local = tmp_path / "data" / "tursotui" / "local-turso"
    proc, output = local_serve(
        tmp_path, port, "--plan", "scaler", "--overages", "--platform", "aws"
    )
    try:
        assert "Profile: plan scaler (overages on), AWS locations, no edge replicas." in output, (
            output
        )
        token = (local / "api-token").read_text().strip()
        base = f"http://127.0.0.1:{port}/v1"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers) as http:
            assert http.get("/organizations/local/subscription").json()["subscription"]["plan"] == (
                "scaler_overages"
            )
            assert set(http.get("/locations").json()["locations"]) == AWS_CODES
            # The demo org stays the seed's: a legacy Fly group with its replicas.
            demo = http.get("/organizations/local/groups/default").json()["group"]
            assert (demo["primary"], demo["locations"]) == ("sjc", ["sjc", "iad", "fra"])
            assert http.post(
                "/organizations/local/groups", json={"name": "new", "location": "aws-eu-west-1"}
            ).is_success
            refused = http.post("/organizations/local/groups/new/locations/aws-us-east-1")
            assert refused.status_code == 400 and "not available on AWS" in refused.json()["error"]
    finally:
        stop_serving(proc)
    proc, output = local_serve(tmp_path, port)  # no flags: the recorded profile
    try:
        assert "Profile: plan scaler (overages on), AWS locations" in output, output
    finally:
        stop_serving(proc)
    proc, output = local_serve(
        tmp_path, port, "--plan", "pro", "--no-overages", "--platform", "fly"
    )
    try:
        assert "Profile: plan pro (no overages), Fly locations." in output, output
        assert "profile changed" in output
        token = (local / "api-token").read_text().strip()
        answer = httpx.get(
            f"http://127.0.0.1:{port}/v1/organizations/local/subscription",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.json()["subscription"] == {
            "name": "pro",
            "plan": "pro",
            "overages": False,
            "timeline": "monthly",
        }
    finally:
        stop_serving(proc)
    assert '"plan": "pro"' in (local / "profile.json").read_text()


def test_local_serve_refuses_a_bad_profile_before_starting(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    for flags, problem in [
        (["--plan", "gold"], "invalid choice: 'gold'"),
        (["--platform", "gcp"], "invalid choice: 'gcp'"),
        (["--plan", "starter", "--overages"], "--overages"),
    ]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tursotui",
                "local",
                "serve",
                "--port",
                str(free_port()),
                *flags,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, (flags, done.stdout, done.stderr)
        assert problem in done.stderr, (flags, done.stderr)
    assert not (tmp_path / "data" / "tursotui" / "local-turso" / "profile.json").exists()


async def test_the_consoles_local_turso_takes_the_profile_from_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[tursotui]\nlocal_plan = "developer"\nlocal_overages = true\nlocal_platform = "aws"\n'
    )
    options = CliOptions(
        config=str(config), env_file=str(tmp_path / ".env"), data_dir=str(tmp_path / "data")
    )
    child = await LocalTursoProcess.spawn(options, tmp_path / "data" / "local-turso")
    try:
        await child.ready()
        client = child.platform_client()
        try:
            assert (await client.get_subscription()).plan == "developer_overages"
            assert (await client.get_organization()).overages is True
            assert set(await client.list_locations()) == AWS_CODES
            assert [i.region for i in await client.list_instances("xswarm-users")] == [
                "sjc",
                "iad",
                "fra",
            ]
        finally:
            await client.aclose()
    finally:
        await child.close()
    config.write_text('[tursotui]\nlocal_plan = "gold"\n')
    with pytest.raises(ConfigError, match=r"tursotui\.local_plan.*invalid value 'gold'"):
        resolve(options)

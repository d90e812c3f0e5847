"""Setup's locations on a scripted Platform API, where the cloud differs from the local Turso: existing groups
and databases checked before the closest-region check (D14), the primary never written as a replica when the
group names it ``us-east-1`` and lists ``aws-us-east-1`` (D15), a new group's location waited for before a
database is created in it (D22), replicas refused on AWS before any request (D10)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tursotui.config import load_config
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.locations import (
    add_replica_locations,
    replica_refusal,
    wait_for_group_location,
)
from tursotui.ops.setup import Setup, SetupPlan
from tursotui.platform import ClosestRegion, Database, Group, NotFound

AWS_LOCATIONS = {
    "aws-us-east-1": "AWS US East (Virginia)",
    "aws-eu-west-1": "AWS EU West (Ireland)",
}
# The spec's own example group: primary "us-east-1", locations ["aws-us-east-1"].
SPEC_GROUP = Group("default", uuid="g-1", primary="us-east-1", locations=("aws-us-east-1",))


class CloudOrg:
    """What setup asks Turso Cloud, scripted; every call is recorded in order."""

    def __init__(
        self, *, groups: list[Group] | None = None, databases: list[Database] | None = None
    ):
        self.organization = "acme"
        self.groups = {g.name: g for g in groups or []}
        self.databases = {d.name: d for d in databases or []}
        self.calls: list[str] = []
        self.not_ready = 0
        """How many ``get_group`` answers a new group is still missing."""

    async def list_locations(self) -> dict[str, str]:
        self.calls.append("list_locations")
        return dict(AWS_LOCATIONS)

    async def closest_region(self) -> ClosestRegion:
        self.calls.append("closest_region")
        return ClosestRegion(
            server="ams", client="ams"
        )  # a legacy code this AWS org does not offer

    async def list_databases(self) -> list[Database]:
        return list(self.databases.values())

    async def list_groups(self) -> list[Group]:
        return list(self.groups.values())

    async def get_group(self, name: str) -> Group:
        self.calls.append(f"get_group {name}")
        if self.not_ready:
            self.not_ready -= 1
            raise NotFound("group not found", method="GET", path=f"/groups/{name}")
        return self.groups[name]

    async def create_group(self, name: str, location: str) -> Group:
        self.calls.append(f"create_group {name} {location}")
        self.groups[name] = Group(
            name, primary=location.removeprefix("aws-"), locations=(location,)
        )
        self.not_ready = 2
        return self.groups[name]

    async def create_database(self, name: str, group: str) -> None:
        self.calls.append(f"create_database {name} {group}")
        primary = self.groups[group].primary
        self.databases[name] = Database(
            name, hostname=f"{name}.example", group=group, primary_region=primary
        )

    async def get_database(self, name: str) -> Database:
        return self.databases[name]

    async def add_location(self, group: str, location: str) -> Group:
        self.calls.append(f"add_location {group} {location}")
        return self.groups[group]


def _setup(org: CloudOrg, tmp_path: Path, **plan: Any) -> Setup:
    settings = SimpleNamespace(
        config_path=tmp_path / "config.toml",
        env_path=tmp_path / ".env",
        data_dir=tmp_path / "data",
        organization="acme",
        auth_token=None,
    )
    return Setup(
        SimpleNamespace(platform=org, settings=settings, target="cloud"), SetupPlan(**plan)
    )  # type: ignore[arg-type]


async def test_an_existing_database_or_group_settles_the_location_before_the_closest_is_asked(
    tmp_path: Path,
) -> None:
    existing = Database("xswarm-users", group="default", primary_region="us-east-1")
    org = CloudOrg(groups=[SPEC_GROUP], databases=[existing])
    status, detail, _ = await _setup(org, tmp_path, primary="mars")._location()
    assert (status, detail) == ("skipped", "xswarm-users already exists, primary us-east-1")
    assert "closest_region" not in org.calls and "list_locations" not in org.calls
    status, detail, _ = await _setup(org, tmp_path, database="new")._location()
    assert status == "skipped" and "group default exists" in detail


async def test_a_closest_region_the_org_does_not_offer_falls_back(tmp_path: Path) -> None:
    setup = _setup(CloudOrg(), tmp_path)
    status, detail, _ = await setup._location()
    assert status == "done" and setup.state.primary == "aws-eu-west-1"
    assert "ams (closest to you) is not offered" in detail
    with pytest.raises(InputError, match="unknown location 'mars': use one of aws-eu-west-1"):
        await _setup(CloudOrg(), tmp_path, primary="mars")._location()


async def test_a_new_group_is_waited_for_before_the_database_is_created(tmp_path: Path) -> None:
    org = CloudOrg()
    setup = _setup(org, tmp_path, primary="aws-us-east-1")
    await setup._location()
    status, detail, _ = await setup._database()
    assert status == "done" and "its location aws-us-east-1 ready" in detail
    made = org.calls.index("create_group default aws-us-east-1")
    assert org.calls[made + 1 : made + 4] == ["get_group default"] * 3  # two 404s, then listed
    assert org.calls[made + 4] == "create_database xswarm-users default"


async def test_waiting_is_bounded_and_says_what_it_waited_for() -> None:
    org = CloudOrg(groups=[Group("g", primary="fra", locations=("fra",))])
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(OpsError) as info:
        await wait_for_group_location(org, "g", "iad", within=5, sleep=sleep, clock=lambda: now[0])
    assert str(info.value) == (
        "group g was created, but its location iad was not ready after 5 s (it lists fra); re-run to resume"
    )
    assert now[0] <= 5
    found = await wait_for_group_location(org, "g", "fra", sleep=sleep, clock=lambda: now[0])
    assert found.name == "g"


async def test_the_primary_is_never_written_as_a_replica(tmp_path: Path) -> None:
    org = CloudOrg(groups=[SPEC_GROUP])
    org.databases["xswarm-users"] = Database(
        "xswarm-users",
        hostname="xswarm-users-acme.turso.io",
        group="default",
        primary_region="us-east-1",
    )
    setup = _setup(org, tmp_path)
    setup.state.database = org.databases["xswarm-users"]
    setup.state.organization = "acme"
    status, _, _ = await setup._config()
    assert status == "done"
    config = load_config(tmp_path / "config.toml").turso
    assert (config.primary_region, config.replica_regions) == ("aws-us-east-1", ())


async def test_replicas_on_aws_are_refused_before_any_request(tmp_path: Path) -> None:
    refusal = replica_refusal(SPEC_GROUP)
    assert refusal is not None
    assert "replication is not available on AWS at the moment" in refusal
    assert "Edge replicas are deprecated for new users" in refusal
    assert replica_refusal(Group("legacy", primary="sjc", locations=("sjc", "iad"))) is None
    org = CloudOrg(groups=[SPEC_GROUP])
    with pytest.raises(InputError, match="not available on AWS"):
        await add_replica_locations(org, "default", ["aws-eu-west-1"])  # type: ignore[arg-type]
    assert not [c for c in org.calls if c.startswith("add_location")]
    # setup refuses at its location step, before a group or database is created
    with pytest.raises(InputError, match="run setup without --replicas"):
        await _setup(
            CloudOrg(), tmp_path, primary="aws-us-east-1", replicas=("aws-eu-west-1",)
        )._location()
    with pytest.raises(InputError, match="not available on AWS"):
        await _setup(org, tmp_path, replicas=("aws-eu-west-1",))._location()

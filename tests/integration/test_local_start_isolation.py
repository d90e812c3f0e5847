"""One bad database never takes the organization down: at start it is reported as broken and the
rest serve, state.json untouched; a bad configuration value is refused before anything changes,
and a value sqld refuses leaves nothing changed. Real sqld throughout."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient

SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
DB = "/v1/organizations/local/databases"


async def _query(url: str, token: str) -> int:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{url}/v2/pipeline", json=SELECT, headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code


def _namespace_gone(data_dir: Path, state: dict[str, Any]) -> None:
    shutil.rmtree(data_dir / "sqld" / "primary" / "data.sqld" / "dbs" / "bad")


def _file_gone(data_dir: Path, state: dict[str, Any]) -> None:
    namespace = data_dir / "sqld" / "primary" / "data.sqld" / "dbs" / "bad"
    for name in ("data", "data-wal", "data-shm"):
        (namespace / name).unlink(missing_ok=True)


def _group_missing(data_dir: Path, state: dict[str, Any]) -> None:
    state["databases"]["bad"]["group"] = "vanished"


def _bad_value(data_dir: Path, state: dict[str, Any]) -> None:
    state["databases"]["bad"]["size_limit"] = {"a": 1}


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_namespace_gone, "namespace is gone"),
        (_file_gone, "database file is gone"),
        (_group_missing, "group 'vanished' is not in state.json"),
        (_bad_value, "size_limit"),
    ],
)
async def test_a_bad_database_is_reported_and_the_rest_serve(
    tmp_path: Path,
    sqld_binary: Path,
    damage: Callable[[Path, dict[str, Any]], None],
    reason: str,
) -> None:
    data_dir = tmp_path / "org"
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        client = turso.platform_client(max_retries=0)
        await client.create_group("default", "sjc")
        await client.add_location("default", "iad")
        await client.create_database("bad", "default")
        good = await client.create_database("good", "default")
        token = (await client.create_database_token("good")).jwt
        await client.aclose()
    finally:
        await turso.close()
    state_file = data_dir / "state.json"
    state = json.loads(state_file.read_text())
    damage(data_dir, state)
    state_file.write_text(json.dumps(state))
    before = state_file.read_bytes()

    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        assert state_file.read_bytes() == before  # not rewritten, no new demo org
        assert [n for n in turso.notices if n.startswith("database bad is not served")]
        assert reason in " ".join(turso.notices)
        assert await _query(good.url, token) == 200
        async with httpx.AsyncClient(
            transport=turso.transport(),
            base_url="http://local",
            headers={"Authorization": f"Bearer {turso.api_token}"},
        ) as api:
            listed = {d["Name"]: d for d in (await api.get(DB)).json()["databases"]}
            assert reason in listed["bad"]["broken"]
            assert "broken" not in listed["good"]
            patched = await api.patch(f"{DB}/bad/configuration", json={"block_reads": True})
            assert patched.status_code == 409
            created = await api.post(DB, json={"name": "third", "group": "default"})
            assert created.status_code == 200, created.text
            assert (await api.delete(f"{DB}/bad")).status_code == 200  # it can be cleaned up
        assert "bad" not in json.loads(state_file.read_text())["databases"]
    finally:
        await turso.close()


@pytest.mark.parametrize(
    "change",
    [
        {"size_limit": "abc"},
        {"size_limit": -5},
        {"size_limit": True},
        {"size_limit": [1, 2]},
        {"size_limit": {"a": 1}},
        {"block_reads": "yes"},
        {"block_writes": 1},
        {"allow_attach": None},
        {"delete_protection": "false"},
    ],
)
async def test_a_bad_configuration_value_is_refused_and_nothing_changes(
    platform: PlatformClient, local_turso: LocalTurso, change: dict[str, Any]
) -> None:
    await platform.create_group("default", "sjc")
    await platform.create_database("db", "default")
    state_file = local_turso.data_dir / "state.json"
    before = state_file.read_bytes()
    async with httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url="http://local",
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as api:
        config = (await api.get(f"{DB}/db/configuration")).json()
        # A valid change beside the bad one: not applied either.
        valid = "block_reads" if "block_reads" not in change else "block_writes"
        refused = await api.patch(f"{DB}/db/configuration", json={valid: True, **change})
        assert refused.status_code == 400
        assert next(iter(change)) in refused.json()["error"]
        assert (await api.get(f"{DB}/db/configuration")).json() == config
    assert state_file.read_bytes() == before
    sqld_config = await local_turso.cp.dataplane.primary.admin.get_config("db")
    assert sqld_config["block_reads"] is False and sqld_config["block_writes"] is False


async def test_a_change_sqld_refuses_leaves_the_database_as_it_was(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    await platform.create_database("db", "default")
    state_file = local_turso.data_dir / "state.json"
    before = state_file.read_bytes()
    # sqld loses the namespace behind the control plane's back: it refuses the config.
    await local_turso.cp.dataplane.primary.admin.delete_namespace("db")
    async with httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url="http://local",
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as api:
        config = (await api.get(f"{DB}/db/configuration")).json()
        refused = await api.patch(
            f"{DB}/db/configuration", json={"size_limit": "1gb", "block_reads": True}
        )
        assert refused.status_code >= 400 and "doesn't exist" in refused.json()["error"]
        assert (await api.get(f"{DB}/db/configuration")).json() == config
    assert state_file.read_bytes() == before

"""A fleet on the local Turso (issue 15), end to end on real sqld: 300 tenant databases built from the seed's
schema, a rebuild that changes nothing, a restart that binds the listeners in the background and keeps every
URL, a cold sweep of every tenant with sqld's cache far smaller than the fleet (its eviction 404 replayed by
the proxies), usage counted in the proxies, and creates, deletes, lists and token mints at that size.
Bounded: ~300 sqld creates and ~900 queries (well under a minute)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import local_serve, stop_serving

from tursotui.entry import main
from tursotui.local.control import binding
from tursotui.local.engine import dataplane
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.fleet import FLEET_GROUPS, build_fleet, group_name, tenant_name
from tursotui.local.host.service import LocalTurso

log = logging.getLogger(__name__)

FLEET = 300
CACHE = 16
"""sqld's --max-active-namespaces here: far below the fleet, so a sweep makes it evict all the time."""
IN_FLIGHT = 4
COUNT_USERS = {
    "requests": [
        {"type": "execute", "stmt": {"sql": "SELECT count(*) FROM users"}},
        {"type": "close"},  # sqld stalls after ~128 streams left open
    ]
}


@pytest.fixture(autouse=True)
def small_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = list(dataplane.SQLD_EXTRA)
    extra[extra.index("--max-active-namespaces") + 1] = str(CACHE)
    monkeypatch.setattr(dataplane, "SQLD_EXTRA", tuple(extra))
    monkeypatch.setattr(binding, "BACKGROUND_FROM", 100)  # 300 binds after the start, as 10,000 do


def _api(turso: LocalTurso) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=turso.transport(),
        base_url="http://local-turso.invalid",
        headers={"Authorization": f"Bearer {turso.api_token}"},
        timeout=30,
    )


async def _urls(turso: LocalTurso) -> dict[str, str]:
    """Every database's URL, listed in pages of 64 (the answer names only listeners that are bound)."""
    urls: dict[str, str] = {}
    cursor = None
    async with _api(turso) as api:
        while True:
            params: dict[str, str | int] = {"limit": 64}
            if cursor:
                params["cursor"] = cursor
            page = (await api.get("/v1/organizations/local/databases", params=params)).json()
            for db in page["databases"]:
                urls[db["Name"]] = "http://" + db["Hostname"]
            cursor = page["pagination"]["next"]
            if not cursor:
                return urls


async def _group_tokens(turso: LocalTurso) -> dict[str, str]:
    async with _api(turso) as api:
        return {
            group_name(n): (
                await api.post(f"/v1/organizations/local/groups/{group_name(n)}/auth/tokens")
            ).json()["jwt"]
            for n in range(FLEET_GROUPS)
        }


async def _sweep(turso: LocalTurso, urls: dict[str, str]) -> dict[str, object]:
    """One query per tenant through its URL, 4 in flight: the count of users, or what went wrong."""
    tokens = await _group_tokens(turso)
    groups = {name: db.group for name, db in turso.cp.state.databases.items()}
    slots = asyncio.Semaphore(IN_FLIGHT)
    out: dict[str, object] = {}

    async def one(http: httpx.AsyncClient, name: str) -> None:
        async with slots:
            answer = await http.post(
                f"{urls[name]}/v2/pipeline",
                json=COUNT_USERS,
                headers={"Authorization": f"Bearer {tokens[groups[name]]}"},
            )
        if answer.status_code != 200:
            out[name] = f"{answer.status_code} {answer.text[:120]}"
            return
        row = answer.json()["results"][0]["response"]["result"]["rows"][0]
        out[name] = int(row[0]["value"])

    async with httpx.AsyncClient(timeout=30) as http:
        await asyncio.gather(*(one(http, name) for name in urls if name.startswith("tenant-")))
    return out


async def test_a_fleet_is_built_restarted_swept_and_metered(
    tmp_path: Path, sqld_binary: Path
) -> None:
    data_dir = tmp_path / "fleet"
    turso = LocalTurso(data_dir, recovery_interval=0, quota_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        started = time.monotonic()
        report = await build_fleet(turso, FLEET)
        log.warning("%s (%.1f s)", report.describe(), time.monotonic() - started)
        assert (report.created, report.existing) == (FLEET, 0)
        again = await build_fleet(turso, FLEET)
        assert (again.created, again.existing) == (0, FLEET)  # a rerun is a no-op
        assert sorted(turso.cp.state.groups) == [group_name(n) for n in range(FLEET_GROUPS)]
        before = await _urls(turso)
        assert len(before) == FLEET
        ports = {int(url.rsplit(":", 1)[1]) for url in before.values()}
        assert len(ports) == FLEET and max(ports) < 32768  # stable, below the ephemeral range
        # Large orgs journal their changes: state.json is not rewritten per create.
        assert (data_dir / "state.journal").exists()
    finally:
        await turso.close()
    assert not (data_dir / "state.journal").exists()  # folded into state.json at stop

    turso = LocalTurso(data_dir, recovery_interval=0, quota_interval=0, binary=sqld_binary)
    started = time.monotonic()
    await turso.start()
    try:
        assert turso.cp.binder.task is not None  # the listeners are bound after the start
        assert await _urls(turso) == before  # every URL the same after a restart
        await turso.cp.binder.task
        log.warning("restart → every listener bound: %.2f s", time.monotonic() - started)
        assert turso.cp.notices == []

        swept = await _sweep(turso, before)
        assert {name: n for name, n in swept.items() if n != 5} == {}  # 2 test users + 3 more each
        retried = sum(p.evictions_retried for p in turso.cp.dataplane.proxies.values())
        log.warning("cold sweep of %d tenants at a cache of %d: %d replayed", FLEET, CACHE, retried)

        # Usage is what the proxies counted: every tenant read its users once, nothing was written.
        async with _api(turso) as api:
            usage = (await api.get("/v1/organizations/local/usage")).json()["organization"]
            assert usage["usage"]["databases"] == FLEET
            assert usage["usage"]["rows_read"] >= FLEET  # a count(*) reads one row or more
            assert usage["usage"]["rows_written"] == 0
            assert usage["usage"]["storage_bytes"] > 0

            # Writes through one tenant's URL show on its usage, and only on it.
            name = tenant_name(7)
            token = (await api.post(f"/v1/organizations/local/databases/{name}/auth/tokens")).json()
            insert = {
                "requests": [
                    {
                        "type": "execute",
                        "stmt": {
                            "sql": "INSERT INTO usage VALUES ('u', 'test-123', 'a', 'b', 1, 2, 3)"
                        },
                    }
                ]
            }
            async with httpx.AsyncClient(timeout=30) as http:
                wrote = await http.post(
                    f"{before[name]}/v2/pipeline",
                    json=insert,
                    headers={"Authorization": f"Bearer {token['jwt']}"},
                )
            assert wrote.status_code == 200, wrote.text
            one = (await api.get(f"/v1/organizations/local/databases/{name}/usage")).json()
            assert one["database"]["total"]["rows_written"] >= 1
            other = (
                await api.get(f"/v1/organizations/local/databases/{tenant_name(8)}/usage")
            ).json()
            assert other["database"]["total"]["rows_written"] == 0

            # Create and delete at this size; the deleted name's URL stops answering.
            made = await api.post(
                "/v1/organizations/local/databases", json={"name": "newcomer", "group": "fleet-2"}
            )
            assert made.status_code == 200, made.text
            gone = await api.delete(f"/v1/organizations/local/databases/{tenant_name(9)}")
            assert gone.status_code == 200, gone.text
        urls = await _urls(turso)
        assert len(urls) == FLEET and "newcomer" in urls and tenant_name(9) not in urls
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(timeout=5) as http:
                await http.post(f"{before[tenant_name(9)]}/v2/pipeline", json=COUNT_USERS)
    finally:
        await turso.close()


def test_local_serve_builds_the_fleet_once(tmp_path: Path, sqld_binary: Path) -> None:
    """``local serve --fleet N`` builds N tenants beside the demo org, serves them, and a second serve with
    the same N creates nothing."""
    port = free_port()
    proc, output = local_serve(tmp_path, port, "--fleet", "40")
    try:
        assert "Fleet: 40 tenant databases in 4 groups (40 created, 0 already there)" in output, (
            output
        )
        token = (tmp_path / "data" / "tursotui" / "local-turso" / "api-token").read_text().strip()
        listed = httpx.get(
            f"http://127.0.0.1:{port}/v1/organizations/local/databases",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["databases"]
        assert sum(db["Name"].startswith("tenant-") for db in listed) == 40
    finally:
        stop_serving(proc)
    proc, output = local_serve(tmp_path, port, "--fleet", "40")
    try:
        assert "(0 created, 40 already there)" in output, output
    finally:
        stop_serving(proc)


def test_a_bad_fleet_size_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path), "local", "serve", "--fleet", "-1"])
    assert code == 2
    assert "--fleet" in capsys.readouterr().err
    assert not (tmp_path / "local-turso").exists()


async def test_concurrent_first_uses_of_a_location_start_one_sqld(local_turso: LocalTurso) -> None:
    """Creates run side by side: several adding the first database of a replica location at once start one
    sqld for it, not one each (the others would be left running, owned by nobody)."""
    dataplane = local_turso.cp.dataplane
    nodes = await asyncio.gather(*(dataplane.start_node("fra") for _ in range(4)))
    assert len({id(node) for node in nodes}) == 1
    running = _processes_with(str(nodes[0].process.db_path))
    assert len(running) == 1, running


def _processes_with(label: str) -> list[Path]:
    return [p for p in Path("/proc").iterdir() if p.name.isdigit() and label in _cmdline(p)]


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""

"""First run: the demo organization, `tursotui local serve` on 127.0.0.1 with its API token."""

from __future__ import annotations

import stat
import subprocess
import time
from pathlib import Path

import httpx
from fixtures.local_turso import local_serve, stop_serving

from tursotui.config import load_config, read_env_file
from tursotui.libsql import HranaClient
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.service import LocalTurso


async def test_demo_org_is_the_xswarm_guide_made_real(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    from tursotui.local.host.demo import ensure_demo_org

    config, env = tmp_path / "cfg" / "config.toml", tmp_path / "cfg" / ".env"
    demo = await ensure_demo_org(local_turso, config_path=config, env_path=env, users=40)
    assert demo.created and demo.users == 42
    settings = load_config(config)
    assert settings.turso.database_name == "xswarm-users"
    assert settings.turso.database_url == demo.database_url
    assert settings.turso.replica_regions == ("iad", "fra")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    token = read_env_file(env)["TURSO_AUTH_TOKEN"]
    async with HranaClient(demo.database_url, token) as sql:
        tables = {
            r[0]
            for r in (await sql.execute("select name from sqlite_master where type='table'")).rows
        }
        assert {"users", "subscription_items", "usage"} <= tables
        indexes = {
            r[0]
            for r in (await sql.execute("select name from sqlite_master where type='index'")).rows
        }
        assert {"idx_users_email", "idx_users_xswarm_phone", "idx_users_stripe_customer"} <= indexes
        assert (await sql.execute("select count(*) from users")).rows == ((42,),)
        tier = await sql.execute("select subscription_tier from users where id = ?", ["admin-456"])
        assert tier.rows == (("enterprise",),)
    client = local_turso.platform_client()
    instances = await client.list_instances("xswarm-users")
    assert [i.region for i in instances] == ["sjc", "iad", "fra"]
    await client.aclose()
    assert local_turso.pitr.list("xswarm-users")
    again = await ensure_demo_org(local_turso, config_path=config, env_path=env, users=40)
    assert not again.created and again.database_url == demo.database_url


def _listen_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) of sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, _, hex_port = local.rpartition(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


def test_local_serve_listens_on_loopback_with_a_token(tmp_path: Path) -> None:
    port = free_port()
    proc, output = local_serve(tmp_path, port, users=10)
    try:
        token_file = tmp_path / "data" / "tursotui" / "local-turso" / "api-token"
        token = token_file.read_text().strip()
        assert token in output and "shown once" in output
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                refused = httpx.get(f"{base}/v1/organizations")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert refused.status_code == 401
        ok = httpx.get(
            f"{base}/v1/organizations/local/databases", headers={"Authorization": f"Bearer {token}"}
        )
        assert [d["Name"] for d in ok.json()["databases"]] == ["xswarm-users"]
        assert _listen_addresses(port) == {"0100007F"}  # 127.0.0.1 only, never 0.0.0.0
    finally:
        stop_serving(proc)
    leftovers = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout.strip() == ""

"""The local Turso never overwrites a user's setup: config.toml and .env are written only when absent or
already pointing at a local Turso, every rewrite of an existing one keeps a backup and says so, and the demo
org's token expires (90 days) and is in the token ledger. Real processes, real sqld."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

from fixtures.lifecycle import Setup, serving, stop

from tursotui.config import load_config, read_env_file
from tursotui.local.engine.sqld import free_port
from tursotui.ops.tokens import TokenLedger, decode_claims, fingerprint

CLOUD_CONFIG = (
    '[turso]\ndatabase_name = "prod-db"\norganization = "acme"\n'
    'database_url = "libsql://prod-db-acme.turso.io"\n\n[tursotui]\ntarget = "cloud"\n'
)
CLOUD_ENV = "TURSO_API_TOKEN=my-platform-token\nTURSO_AUTH_TOKEN=my-precious-cloud-db-token\n"


def _cloud_setup(root: Path) -> Setup:
    setup = Setup(root)
    setup.config.write_text(CLOUD_CONFIG)
    setup.env_file.write_text(CLOUD_ENV)
    setup.env_file.chmod(0o600)
    return setup


def _serve_output(setup: Setup) -> str:
    proc = setup.start("local", "serve", "--port", str(free_port()), "--demo-users", "10")
    try:
        return serving(proc)
    finally:
        stop(proc, setup.local_dir)


def test_local_serve_leaves_a_turso_cloud_setup_alone(tmp_path: Path) -> None:
    setup = _cloud_setup(tmp_path)
    output = _serve_output(setup)
    assert setup.config.read_text() == CLOUD_CONFIG
    assert setup.env_file.read_text() == CLOUD_ENV
    assert stat.S_IMODE(setup.env_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.glob("*.bak-*")) == []
    assert f"Left {setup.config} and {setup.env_file} alone" in output
    assert 'target = "local"' in output and "database_url" in output  # how to point them at it
    assert "Created the demo organization" in output


def test_a_cli_command_on_the_local_turso_leaves_a_turso_cloud_setup_alone(tmp_path: Path) -> None:
    setup = _cloud_setup(tmp_path)
    done = setup.run("--target", "local", "db", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert setup.config.read_text() == CLOUD_CONFIG
    assert setup.env_file.read_text() == CLOUD_ENV
    assert f"Left {setup.config} and {setup.env_file} alone" in done.stderr


def test_rewriting_an_existing_local_setup_keeps_backups_and_says_so(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    old_config = '# mine\n[tursotui]\ntarget = "local"\ntheme = "nord"\n'
    old_env = "OTHER=keep-me\n"
    setup.config.write_text(old_config)
    setup.env_file.write_text(old_env)
    setup.env_file.chmod(0o644)
    output = _serve_output(setup)
    config = load_config(setup.config)
    assert config.turso.database_name == "xswarm-users" and config.tursotui.theme == "nord"
    assert "# mine" in setup.config.read_text()
    env = read_env_file(setup.env_file)
    assert env["OTHER"] == "keep-me" and env["TURSO_AUTH_TOKEN"].startswith("ey")
    (config_backup,) = tmp_path.glob("config.toml.bak-*")
    (env_backup,) = tmp_path.glob(".env.bak-*")
    assert config_backup.read_text() == old_config
    assert env_backup.read_text() == old_env
    assert stat.S_IMODE(env_backup.stat().st_mode) == 0o600  # it held secrets
    assert stat.S_IMODE(setup.env_file.stat().st_mode) == 0o600
    assert f"kept as {config_backup}" in output and f"kept as {env_backup}" in output


def test_the_demo_token_expires_in_90_days_and_is_in_the_ledger(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.config.touch()  # empty, no .env yet: both written, nothing to back up
    _serve_output(setup)
    assert list(tmp_path.glob("*.bak-*")) == []
    token = read_env_file(setup.env_file)["TURSO_AUTH_TOKEN"]
    claims = decode_claims(token)
    assert claims.issued_at is not None and claims.expires_at is not None
    assert claims.expires_at - claims.issued_at == timedelta(days=90)
    (entry,) = TokenLedger.in_data_dir(setup.data).entries()
    assert entry.fingerprint == fingerprint(token)
    assert (entry.database, entry.group, entry.target) == ("xswarm-users", "default", "local")
    assert entry.expires is not None and entry.expires == claims.expires_at
    assert token not in TokenLedger.in_data_dir(setup.data).path.read_text()

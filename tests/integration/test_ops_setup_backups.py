"""Setup never overwrites the user's config.toml or .env without a timestamped backup, and says
which backup (the text the setup wizard shows under each step), on the local Turso (real sqld)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tursotui.entry import main

CONFIG = """# my settings: keep this comment
[turso]
database_name = "xswarm-users"

[tursotui]
target = "local"
refresh_interval_seconds = 7.0
"""
ENV = "# mine\nOTHER_SECRET=keep-me\n"


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.bak-*"))


def test_every_setup_rewrite_keeps_a_backup_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, env = tmp_path / "cfg" / "config.toml", tmp_path / "cfg" / ".env"
    config.parent.mkdir()
    config.write_text(CONFIG)
    env.write_text(ENV)
    env.chmod(0o600)
    args = ["--config", str(config), "--data-dir", str(tmp_path / "d"), "setup"]
    extra = ["--non-interactive", "--json", "--local-replica", "--backups"]
    assert main([*args, *extra]) == 0
    steps = {s["step"]: s for s in json.loads(capsys.readouterr().out)["steps"]}
    for key in ("config", "local_replica", "backups"):
        assert steps[key]["status"] == "done", steps[key]

    config_backups, env_backups = _backups(config), _backups(env)
    assert env_backups and env_backups[0].read_text() == ENV
    assert config_backups and config_backups[0].read_text() == CONFIG
    assert f"previous .env kept as {env_backups[0]}" in steps["config"]["detail"]
    assert f"previous config.toml kept as {config_backups[0]}" in steps["config"]["detail"]
    # Each later rewrite of config.toml keeps the file as it was just before, and names it.
    for key in ("local_replica", "backups"):
        named = steps[key]["detail"].split("previous config.toml kept as ", 1)[1].split(";")[0]
        assert Path(named) in config_backups
    assert len(config_backups) == 3
    assert "OTHER_SECRET=keep-me" in env.read_text()  # merged, not replaced
    assert "# my settings: keep this comment" in config.read_text()


def test_setup_on_new_files_says_there_was_nothing_to_back_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cfg" / "config.toml"
    args = ["--config", str(config), "--data-dir", str(tmp_path / "d"), "setup"]
    assert main([*args, "--non-interactive", "--json"]) == 0
    steps = {s["step"]: s for s in json.loads(capsys.readouterr().out)["steps"]}
    detail = steps["config"]["detail"]
    assert "config.toml is new (nothing to back up)" in detail
    assert ".env is new (nothing to back up)" in detail
    assert _backups(config) == [] and _backups(config.parent / ".env") == []

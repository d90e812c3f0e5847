"""config.point_at_database: the one writer that points config.toml and .env at a database."""

from __future__ import annotations

import stat
from pathlib import Path

from tursotui.config.point import point_at_database

POINT = {"turso.database_name": "app", "turso.database_url": "http://127.0.0.1:9000"}


def test_new_files_are_written_without_backups(tmp_path: Path) -> None:
    config, env = tmp_path / "config.toml", tmp_path / ".env"
    pointed = point_at_database(config, env, config=POINT, token="tok-1")
    assert pointed.config_keys == ("turso.database_name", "turso.database_url")
    assert pointed.env_written and pointed.backups == ()
    assert 'database_url = "http://127.0.0.1:9000"' in config.read_text()
    assert env.read_text() == "TURSO_AUTH_TOKEN=tok-1\n"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_existing_files_are_backed_up_and_keep_comments_and_other_keys(tmp_path: Path) -> None:
    config, env = tmp_path / "config.toml", tmp_path / ".env"
    config.write_text('# mine\n[turso]\ndatabase_name = "old" # was\nprimary_region = "iad"\n')
    env.write_text("OTHER=keep\nTURSO_AUTH_TOKEN=old\n")
    before_config, before_env = config.read_text(), env.read_text()
    pointed = point_at_database(config, env, config=POINT, token="tok-2")
    assert pointed.config_backup is not None and pointed.env_backup is not None
    assert pointed.config_backup.read_text() == before_config
    assert pointed.env_backup.read_text() == before_env
    assert stat.S_IMODE(pointed.env_backup.stat().st_mode) == 0o600
    text = config.read_text()
    assert "# mine" in text and 'primary_region = "iad"' in text and '"app"' in text
    assert env.read_text() == "OTHER=keep\nTURSO_AUTH_TOKEN=tok-2\n"


def test_nothing_is_written_when_the_files_already_point_there(tmp_path: Path) -> None:
    config, env = tmp_path / "config.toml", tmp_path / ".env"
    point_at_database(config, env, config=POINT, token="tok")
    stamps = config.stat().st_mtime_ns, env.stat().st_mtime_ns
    again = point_at_database(config, env, config=POINT, token="tok")
    assert not again.changed and again.backups == ()
    assert (config.stat().st_mtime_ns, env.stat().st_mtime_ns) == stamps
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", "config.toml"]


def test_only_the_keys_that_differ_are_written(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[turso]\ndatabase_name = "app"\n')
    pointed = point_at_database(config, None, config=POINT, token="ignored without an env path")
    assert pointed.config_keys == ("turso.database_url",) and not pointed.env_written


def test_an_empty_file_has_nothing_to_back_up(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("")
    pointed = point_at_database(None, env, token="tok")
    assert pointed.env_written and pointed.env_backup is None

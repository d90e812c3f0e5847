"""config.toml and .env: loading, validation messages, precedence and safe writing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tursotui.config import (
    CliOptions,
    ConfigError,
    load_config,
    read_env_file,
    resolve,
    update_config,
    write_env_file,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope.toml")
    assert config.turso.database_name == ""
    assert config.turso.backup.retention_days == 30
    assert config.tursotui.target is None


def test_example_config_documents_and_loads_every_key() -> None:
    config = load_config(EXAMPLE)
    assert config.turso.database_name == "xswarm-users"
    assert config.turso.replica_regions == ("iad", "fra", "nrt")
    assert config.turso.local_replica.sync_interval_seconds == 60
    assert (
        config.turso.local_replica.local_db_path
        == Path("~/.local/share/xswarm/users.db").expanduser()
    )
    assert config.turso.backup.enabled is True
    assert config.tursotui.theme == "auto"
    from tursotui.config.schema import SCHEMA

    text = EXAMPLE.read_text()
    for table, keys in SCHEMA.items():
        assert f"[{table}]" in text
        for key in keys:
            assert f"\n{key} = " in text, f"{table}.{key} is not documented"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[turso]\ndatabase_name = "a"\nprimary_region sjc\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.line == 3
    assert str(path) in str(err.value)
    assert "line 3" in str(err.value)
    assert "malformed TOML" in str(err.value)


def test_unknown_key_names_key_line_and_choices(tmp_path: Path) -> None:
    path = _write(tmp_path, '[turso]\ndatabase_name = "a"\n\n[turso.backup]\nretension_days = 3\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "turso.backup.retension_days" in message
    assert "line 5" in message
    assert "retention_days" in message


def test_unknown_table(tmp_path: Path) -> None:
    path = _write(tmp_path, "[tursoo]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown table '\[tursoo\]'"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[turso.backup]\nretention_days = "30"\n', "turso.backup.retention_days", "whole number"),
        ("[turso.local_replica]\nenabled = 1\n", "turso.local_replica.enabled", "true or false"),
        ('[turso]\nreplica_regions = "iad"\n', "turso.replica_regions", "list of location codes"),
        ('[tursotui]\ntarget = "prod"\n', "tursotui.target", '"cloud" or "local"'),
        ("[tursotui]\nrefresh_interval_seconds = 0\n", "tursotui.refresh_interval_seconds", "0.5"),
        ('[tursotui]\ntheme = "pink"\n', "tursotui.theme", "ansi-dark"),
        ('[turso]\ndatabase_url = "ftp://x"\n', "turso.database_url", "libsql://"),
        ('[turso]\ndatabase_url = "http://db.example.com"\n', "turso.database_url", "127.0.0.1"),
        ('[turso]\ndatabase_name = "bad name!"\n', "turso.database_name", "letters"),
    ],
)
def test_wrong_values_name_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert key in str(err.value)
    assert expected in str(err.value)
    assert err.value.line == 2


def test_secret_in_config_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '[turso]\nauth_token = "eyJsecret"\n')
    with pytest.raises(ConfigError, match=r"secrets do not belong in config\.toml"):
        load_config(path)


def test_loopback_http_url_is_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[turso]\ndatabase_url = "http://127.0.0.1:8080"\n')
    assert load_config(path).turso.database_url == "http://127.0.0.1:8080"


# --- precedence: CLI flag > environment > .env > config.toml > default ---


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "cfg" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        '[turso]\norganization = "from-config"\ndatabase_url = "libsql://config.turso.io"\n'
        "[tursotui]\nread_only = false\n"
    )
    env = config.parent / ".env"
    env.write_text(
        "TURSO_DATABASE_URL=libsql://dotenv.turso.io\nTURSO_API_TOKEN=dotenv-token-123\n"
    )
    return config, env


def test_precedence_chain(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)
    base = CliOptions(config=str(config))
    assert resolve(base, environ={}).database_url == "libsql://dotenv.turso.io"
    environ = {"TURSO_DATABASE_URL": "libsql://env.turso.io", "TURSO_API_TOKEN": "env-token-456"}
    settings = resolve(base, environ=environ)
    assert settings.database_url == "libsql://env.turso.io"
    assert settings.api_token == "env-token-456"
    flagged = CliOptions(config=str(config), database_url="libsql://flag.turso.io")
    assert resolve(flagged, environ=environ).database_url == "libsql://flag.turso.io"
    config.with_name(".env").unlink()
    assert resolve(base, environ={}).database_url == "libsql://config.turso.io"
    assert resolve(base, environ={}).organization == "from-config"


def test_target_defaults_to_cloud_only_with_credentials(tmp_path: Path) -> None:
    config, env = _setup(tmp_path)
    assert resolve(CliOptions(config=str(config)), environ={}).target == "cloud"
    env.unlink()
    assert resolve(CliOptions(config=str(config)), environ={}).target == "local"
    assert resolve(CliOptions(config=str(config), target="cloud"), environ={}).target == "cloud"


def test_cloud_without_token_is_a_clear_error(tmp_path: Path) -> None:
    config, env = _setup(tmp_path)
    env.unlink()
    settings = resolve(CliOptions(config=str(config), target="cloud"), environ={})
    with pytest.raises(ConfigError, match="TURSO_API_TOKEN"):
        settings.require_cloud_credentials()


def test_bad_env_value_names_source(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)
    with pytest.raises(ConfigError) as err:
        resolve(CliOptions(config=str(config)), environ={"TURSOTUI_TARGET": "staging"})
    assert "environment" in str(err.value)
    assert "TURSOTUI_TARGET" in str(err.value)


def test_settings_repr_masks_tokens(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)
    settings = resolve(CliOptions(config=str(config)), environ={})
    assert "dotenv-token-123" not in repr(settings)


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        resolve(CliOptions(config=str(tmp_path / "missing.toml")), environ={})


# --- writing config.toml with tomlkit ---

COMMENTED = """\
# my app settings -- keep this comment
[turso]
database_name = "xswarm-users"   # inline comment survives
organization = "acme"
# a comment between keys
primary_region = "sjc"

[tursotui]
theme = "nord"
"""


def test_update_keeps_comments_and_key_order(tmp_path: Path) -> None:
    path = _write(tmp_path, COMMENTED)
    update_config(
        path, {"turso.database_url": "libsql://new-acme.turso.io", "turso.organization": "acme2"}
    )
    text = path.read_text()
    assert "# my app settings -- keep this comment" in text
    assert "# inline comment survives" in text
    assert "# a comment between keys" in text
    keys = [line.split("=")[0].strip() for line in text.splitlines() if "=" in line]
    assert keys[:4] == ["database_name", "organization", "primary_region", "database_url"]
    config = load_config(path)
    assert config.turso.organization == "acme2"
    assert config.turso.database_url == "libsql://new-acme.turso.io"
    assert config.tursotui.theme == "nord"


def test_update_creates_nested_tables(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    update_config(path, {"turso.local_replica.enabled": True, "turso.backup.retention_days": 7})
    config = load_config(path)
    assert config.turso.local_replica.enabled is True
    assert config.turso.backup.retention_days == 7


@pytest.mark.parametrize(
    "updates",
    [
        {"turso.auth_token": "eyJsecret-value"},
        {"turso.retention": 3},
        {"turso.backup.retention_days": "many"},
        {"turso.database_url": "ftp://nope"},
    ],
)
def test_bad_update_changes_nothing(tmp_path: Path, updates: dict[str, object]) -> None:
    path = _write(tmp_path, COMMENTED)
    with pytest.raises(ConfigError):
        update_config(path, updates)
    assert path.read_text() == COMMENTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_update_refuses_to_overwrite_broken_file(tmp_path: Path) -> None:
    broken = "[turso\nname = 1\n"
    path = _write(tmp_path, broken)
    with pytest.raises(ConfigError, match="line 1"):
        update_config(path, {"turso.organization": "x"})
    assert path.read_text() == broken


def test_update_with_backup(tmp_path: Path) -> None:
    path = _write(tmp_path, COMMENTED)
    saved = update_config(path, {"turso.organization": "other"}, backup=True)
    assert saved is not None and saved.read_text() == COMMENTED


# --- .env ---


def test_env_write_is_0600_and_keeps_other_lines(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        '# xswarm secrets\nSTRIPE_KEY=sk_test_1\nTURSO_AUTH_TOKEN=old\nexport OTHER="a b"\n'
    )
    path.chmod(0o644)
    write_env_file(path, {"TURSO_AUTH_TOKEN": "eyJnew.token.sig", "TURSO_API_TOKEN": "api value#1"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith(
        "# xswarm secrets\nSTRIPE_KEY=sk_test_1\nTURSO_AUTH_TOKEN=eyJnew.token.sig\n"
    )
    assert read_env_file(path) == {
        "STRIPE_KEY": "sk_test_1",
        "TURSO_AUTH_TOKEN": "eyJnew.token.sig",
        "OTHER": "a b",
        "TURSO_API_TOKEN": "api value#1",
    }


def test_env_remove_key_and_backup(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\nTURSO_AUTH_TOKEN=x\n")
    saved = write_env_file(path, {"TURSO_AUTH_TOKEN": None}, backup=True)
    assert read_env_file(path) == {"A": "1"}
    assert saved is not None and read_env_file(saved) == {"A": "1", "TURSO_AUTH_TOKEN": "x"}


def test_env_malformed_line_is_reported_and_file_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    original = "A=1\nthis is not an assignment\n"
    path.write_text(original)
    with pytest.raises(ConfigError) as err:
        read_env_file(path)
    assert err.value.line == 2
    with pytest.raises(ConfigError):
        write_env_file(path, {"A": "2"})
    assert path.read_text() == original


def test_env_rejects_multiline_value(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    with pytest.raises(ConfigError, match="single-line"):
        write_env_file(path, {"TURSO_AUTH_TOKEN": "a\nb"})
    assert not path.exists()


def test_env_write_failure_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_env_file(path, {"A": "2"})
    assert path.read_text() == "A=1\n"
    assert [p.name for p in tmp_path.iterdir()] == [".env"]


@pytest.mark.parametrize("target", ["config.toml", ".env"])
def test_disk_full_on_a_config_write_names_the_file_and_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    from tursotui.config import update_config

    config = tmp_path / "config.toml"
    config.write_text('# mine\n[turso]\norganization = "acme"\n', encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text("OTHER=1\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError) as failed:
        if target == "config.toml":
            update_config(config, {"turso.organization": "other"})
        else:
            write_env_file(env, {"TURSO_AUTH_TOKEN": "x" * 40})
    assert "No space left on device" in str(failed.value)
    assert target in str(failed.value)  # names the file
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # unchanged, no temp file

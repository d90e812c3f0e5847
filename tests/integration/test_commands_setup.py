"""`tursotui setup --non-interactive` end to end on the local Turso: every step, re-runs skip
what is done, a failure mid-way is resumable and leaves config/.env untouched."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tursotui.config import load_config, read_env_file
from tursotui.entry import main


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--config", str(tmp_path / "cfg" / "config.toml"),
        "--data-dir", str(tmp_path / "data"),
        "setup", "--non-interactive", "--json", *extra,
    ]  # fmt: skip


def _steps(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    out = json.loads(capsys.readouterr().out)
    return {step["step"]: step["status"] for step in out["steps"]}


def test_setup_walks_the_checklist_and_reruns_skip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(tmp_path, "--replicas", "iad", "--test-users", "--backups")) == 0
    first = _steps(capsys)
    assert first["database"] == "done" and first["db_token"] == "done"
    assert first["schema"] == "done" and first["test_users"] == "done"
    assert first["connection"] == "done" and first["replicas"] == "done"
    config = load_config(tmp_path / "cfg" / "config.toml")
    assert config.turso.database_name == "xswarm-users"
    assert config.turso.replica_regions == ("iad",)
    assert config.turso.backup.enabled is True
    env = tmp_path / "cfg" / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert read_env_file(env)["TURSO_AUTH_TOKEN"].count(".") == 2

    assert main(_args(tmp_path, "--replicas", "iad", "--test-users", "--backups")) == 0
    second = _steps(capsys)
    for step in ("database", "replicas", "db_token", "config", "schema", "test_users"):
        assert second[step] == "skipped", step
    assert second["connection"] == "done"


def test_failure_mid_way_is_resumable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(tmp_path, "--replicas", "mars")) == 1
    captured = capsys.readouterr()
    assert "mars" in captured.err and "re-run to resume" in captured.err
    assert not (tmp_path / "cfg" / "config.toml").exists()
    assert not (tmp_path / "cfg" / ".env").exists()
    assert main(_args(tmp_path, "--replicas", "fra")) == 0
    resumed = _steps(capsys)
    assert resumed["database"] == "skipped" and resumed["replicas"] == "done"
    assert resumed["connection"] == "done"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--database", "Bad Name"), "invalid database name"),
        (("--expiration", "soon"), "expiration"),
        (("--location", "mars"), "unknown location"),
    ],
)
def test_bad_input_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code = main(_args(tmp_path, *extra))
    assert code in (1, 2)
    assert message in capsys.readouterr().err
    assert not (tmp_path / "cfg" / "config.toml").exists()


def test_replica_commands_after_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replica_path = tmp_path / "replica" / "users.db"
    assert main(_args(tmp_path, "--test-users", "--local-replica")) == 0
    capsys.readouterr()
    from tursotui.config import update_config

    update_config(
        tmp_path / "cfg" / "config.toml", {"turso.local_replica.local_db_path": str(replica_path)}
    )
    base = ["--config", str(tmp_path / "cfg" / "config.toml"), "--data-dir", str(tmp_path / "data")]
    assert main([*base, "replica", "sync", "--json"]) == 0
    synced = json.loads(capsys.readouterr().out)
    assert synced["exists"] is True and synced["size_bytes"] > 0
    assert main([*base, "replica", "status"]) == 0
    assert "last sync" in capsys.readouterr().out
    assert main([*base, "replica", "reset"]) == 2  # not on a terminal, no --yes
    assert replica_path.exists()
    assert main([*base, "replica", "reset", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["exists"] is True

"""`tursotui setup --non-interactive` end to end on the local Turso: every step, re-runs skip
what is done, a failure mid-way is resumable and leaves config/.env untouched."""

from __future__ import annotations

import io
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

    # setup pointed at another database (walkthrough defect 7): its step says the file holds the first one,
    # a sync is refused naming both, and a reset bootstraps the new database
    assert main(_args(tmp_path, "--database", "ux-setup", "--local-replica")) == 0
    steps = {step["step"]: step for step in json.loads(capsys.readouterr().out)["steps"]}
    note = steps["local_replica"]["detail"]
    assert f"note: the replica file {replica_path} holds database xswarm-users (" in note
    assert "until `tursotui replica reset` deletes it and syncs ux-setup" in note
    assert main([*base, "replica", "sync"]) == 1
    err = capsys.readouterr().err
    assert "holds database xswarm-users (" in err and "config now names database ux-setup (" in err
    assert main([*base, "replica", "reset", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["origin"]["database"] == "ux-setup"


class Terminal(io.StringIO):
    """stdin as a terminal answering setup's questions in turn; each question sees what was printed before it
    (stdout and stderr, in order, in ``transcript``)."""

    def __init__(self, answers: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.capsys = capsys
        self.transcript: list[str] = []

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        captured = self.capsys.readouterr()
        self.transcript += [captured.out, captured.err]
        assert self.answers, f"an unexpected question: {captured.err!r}"
        return self.answers.pop(0) + "\n"

    def rest(self) -> str:
        captured = self.capsys.readouterr()
        self.transcript += [captured.out, captured.err]
        return "".join(self.transcript)


def _interactive(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--config", str(tmp_path / "cfg" / "config.toml"),
        "--data-dir", str(tmp_path / "data"),
        "setup", *extra,
    ]  # fmt: skip


def test_interactive_setup_says_what_it_sets_up_then_asks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [
        "",  # database name: the default
        "mars",  # primary location: not a valid code, asked again
        "iad",
        "y",  # replicas
        "fra,nrt,lhr",  # with iad that is 4 locations: the starter plan allows 3
        "n",  # not anyway
        "soon",  # expiration: not one, asked again
        "12h",
        "y",  # read-only
        "n",  # test users
        "n",  # local replica
        "n",  # backups
    ]
    terminal = Terminal(answers, capsys)
    monkeypatch.setattr("sys.stdin", terminal)
    assert main(_interactive(tmp_path)) == 0
    text = terminal.rest()
    assert terminal.answers == []
    first_question = terminal.transcript[1]
    before = terminal.transcript[0]
    assert "Database name [xswarm-users]:" in first_question
    assert "will set up:" in before and "organization   local" in before
    assert "database       xswarm-users (new), group default (new)" in before
    assert "primary        sjc (" in before and "local default" in before
    assert "token          full access, expires in 90 days" in before
    assert "Valid location codes:\n  sjc      San Jose" in text and "  nrt      Tokyo" in text
    assert "unknown location 'mars': use one of" in text
    assert "Over the plan's location limit: adding locations iad, fra, nrt, lhr" in text
    assert "the starter plan allows 3" in text
    assert "expiration" in text.lower() and "soon" in text
    assert "With your answers:" in text and "token          read-only, expires in 12 hours" in text
    assert "minted (read-only, expires in 12 hours;" in text
    config = load_config(tmp_path / "cfg" / "config.toml")
    assert config.turso.primary_region == "iad"
    assert config.turso.replica_regions == ()  # declined past the limit


def test_yes_asks_nothing_and_keeps_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal([], capsys)  # any question fails the test
    monkeypatch.setattr("sys.stdin", terminal)
    assert main(_interactive(tmp_path, "--yes", "--replicas", "iad,fra,nrt")) == 0
    text = terminal.rest()
    assert "minted (full access, expires in 90 days;" in text
    config = load_config(tmp_path / "cfg" / "config.toml")
    assert config.turso.primary_region == "sjc"
    assert config.turso.replica_regions == ("iad", "fra", "nrt")
    # asked nothing, added as asked, and the limit named in the step's result
    assert "added iad, fra, nrt — Over the plan's location limit" in text
    assert "makes 4 locations and the starter plan allows 3 (1 in use now)" in text

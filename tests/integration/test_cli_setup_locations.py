"""``tursotui setup`` where Turso Cloud differs, through the CLI against the local Turso on real sqld: on the
``aws`` platform profile replicas are refused with the cloud's reason before anything is created (D10); an
existing database or group settles the primary before any location is checked (D14); a new group's location is
waited for before the database is made in it (D22); on legacy (Fly) groups a replica comes with the "deprecated
for new users" note (D10); and a restore's seed names the source both ways (D12, read from the audit log)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tursotui.config import load_config
from tursotui.entry import main
from tursotui.local.control.audit import AuditLog
from tursotui.local.host.service import LocalTurso

REFUSED = "replication is not available on AWS at the moment"
DEPRECATED = "Edge replicas are deprecated for new users"


def _cli(tmp_path: Path, platform: str) -> list[str]:
    cfg = tmp_path / "cfg"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text(
        f'[tursotui]\ntarget = "local"\nlocal_platform = "{platform}"\n'
    )
    return ["--config", str(cfg / "config.toml"), "--data-dir", str(tmp_path / "data")]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def _steps(out: str) -> dict[str, Any]:
    return {s["step"]: s for s in json.loads(out)["steps"]}


def test_aws_refuses_replicas_first_and_waits_for_the_new_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _cli(tmp_path, "aws")
    setup = [*base, "setup", "--non-interactive", "--json", "--location", "aws-us-east-1"]
    code, out, err = _run(capsys, *setup, "--replicas", "aws-eu-west-1")
    assert code == 1
    refused = _steps(out)["location"]
    assert refused["status"] == "failed"
    assert REFUSED in refused["detail"] and DEPRECATED in refused["detail"]
    assert "run setup without --replicas" in err
    made = [e.code for e in AuditLog(tmp_path / "data" / "local-turso").entries()]
    assert (
        "group-create" not in made and "db-create" not in made
    )  # refused before anything was made

    code, out, err = _run(capsys, *setup)
    assert code == 0, err
    steps = _steps(out)
    assert steps["database"]["detail"] == (
        "created xswarm-users in group default (new group, its location aws-us-east-1 ready)"
    )
    config = load_config(tmp_path / "cfg" / "config.toml").turso
    assert (config.primary_region, config.replica_regions) == ("aws-us-east-1", ())

    # The group exists now: replicas for it are refused at once, and a location it no longer needs is not
    # checked at all (mars is no location; the database exists, so setup resumes instead of aborting).
    code, out, _ = _run(capsys, *setup, "--replicas", "aws-eu-west-1")
    assert code == 1 and REFUSED in _steps(out)["location"]["detail"]
    code, out, err = _run(
        capsys, *base, "setup", "--non-interactive", "--json", "--location", "mars"
    )
    assert code == 0, err
    assert _steps(out)["location"]["detail"] == "xswarm-users already exists, primary aws-us-east-1"


class _Terminal(io.StringIO):
    """stdin as a terminal answering setup's questions in turn (every prompt seen is kept)."""

    def __init__(self, answers: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__()
        self.answers, self.capsys, self.seen = list(answers), capsys, ""

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        captured = self.capsys.readouterr()
        self.seen += captured.out + captured.err
        assert self.answers, f"an unexpected question: {captured.err!r}"
        return self.answers.pop(0) + "\n"


async def _take_point(directory: Path, binary: Path, database: str) -> None:
    async with LocalTurso(directory, recovery_interval=0, binary=binary) as turso:
        await turso.pitr.take(database)


def test_interactive_setup_offers_no_replica_on_aws_and_the_note_on_fly(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sqld_binary: Path,
) -> None:
    binary = sqld_binary
    # database, primary (the first AWS code: sjc is not offered), expiration, read-only, users, replica, backups
    terminal = _Terminal(["", "", "", "n", "n", "n", "n"], capsys)
    monkeypatch.setattr("sys.stdin", terminal)
    code, out, err = _run(capsys, *_cli(tmp_path / "aws", "aws"), "setup")
    assert code == 0 and terminal.answers == []
    seen = terminal.seen + out + err
    assert (
        f"Replica locations: none — cannot add a replica location to group default: {REFUSED}"
        in seen
    )
    assert "Add replica locations (optional)?" not in seen  # never asked

    fly = tmp_path / "fly"
    terminal = _Terminal(["", "", "y", "iad", "", "n", "n", "n", "n"], capsys)
    monkeypatch.setattr("sys.stdin", terminal)
    code, out, err = _run(capsys, *_cli(fly, "fly"), "setup")
    assert code == 0, err
    before_question = terminal.seen.split("Add replica locations (optional)?")[0]
    assert f"Note: {DEPRECATED}" in before_question
    assert f"added iad — {DEPRECATED}" in out + err
    config = load_config(fly / "cfg" / "config.toml").turso
    assert (config.primary_region, config.replica_regions) == ("sjc", ("iad",))

    # D12: the restore's seed, as the local Turso's audit log recorded the request (a recovery point after
    # setup's schema first, so the copy verifies)
    asyncio.run(_take_point(fly / "data" / "local-turso", binary, "xswarm-users"))
    code, out, err = _run(
        capsys, *_cli(fly, "fly"), "restore", "xswarm-users", "-t", "now", "--name", "copy", "--yes"
    )
    assert code == 0, err
    entries = AuditLog(fly / "data" / "local-turso").entries()
    (made,) = [e for e in entries if e.code == "db-create" and e.data.get("name") == "copy"]
    seed = made.data["seed"]
    assert (seed["type"], seed["name"], seed["value"]) == (
        "database",
        "xswarm-users",
        "xswarm-users",
    )

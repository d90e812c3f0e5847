"""The CLI and the console say the same things, on the local Turso over real sqld: `db usage --json` names every
database and instance, `replica status` shows the lag the Replica tab shows (same ops functions), and a port the
local Turso had to move is reported once on stderr, not twice."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fixtures.lifecycle import Setup

from tursotui.config import CliOptions, resolve
from tursotui.entry import main
from tursotui.libsql import HranaClient, replica
from tursotui.local.host.service import LocalTurso
from tursotui.ops.replica import PrimaryFrame, ReplicaTarget
from tursotui.ui.panes.replica_view import lines


@dataclass
class Org:
    root: Path
    url: str
    token: str

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def replica(self) -> Path:
        return self.root / "replica" / "app.db"

    def argv(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--data-dir", str(self.data), *args]


async def _seed(directory: Path, binary: Path) -> tuple[str, str]:
    async with LocalTurso(directory, recovery_interval=0, binary=binary) as turso:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "sjc")
        created = await platform.create_database("app", "default")
        token = (await platform.create_database_token("app")).jwt
        await platform.aclose()
        async with HranaClient(created.url, token) as sql:
            await sql.execute("create table users(id text primary key)")
            await sql.batch([("insert into users values (?)", [f"u{i}"]) for i in range(50)])
    return created.url, token


async def _insert(org: Org, binary: Path, rows: int) -> None:
    async with (
        LocalTurso(org.data / "local-turso", recovery_interval=0, binary=binary),
        HranaClient(org.url, org.token) as sql,
    ):
        await sql.batch([("insert into users values (?)", [f"late{i}"]) for i in range(rows)])


@pytest.fixture
def org(tmp_path: Path, sqld_binary: Path) -> Org:
    url, token = asyncio.run(_seed(tmp_path / "data" / "local-turso", sqld_binary))
    made = Org(tmp_path, url, token)
    made.config.write_text(
        f'[turso]\ndatabase_name = "app"\ndatabase_url = "{url}"\n\n'
        f'[turso.local_replica]\nlocal_db_path = "{made.replica}"\n\n[tursotui]\ntarget = "local"\n'
    )
    (tmp_path / ".env").write_text(f"TURSO_AUTH_TOKEN={token}\n")
    return made


def run(org: Org, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(org.argv(*args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and org.token not in out + err
    return code, out, err


def test_db_usage_json_names_each_database_and_instance(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(org, capsys, "db", "show", "app", "--json")
    assert code == 0
    [instance] = json.loads(out)["instances"]
    named = {"name": instance["name"], "location": instance["region"], "type": "primary"}
    assert named["name"] and named["location"] == "sjc"

    code, out, _ = run(org, capsys, "db", "usage", "app", "--json")
    assert code == 0
    [used] = json.loads(out)["instances"]
    assert {k: used[k] for k in named} == named and used["uuid"] == instance["uuid"]
    assert set(used["usage"]) >= {"rows_read", "rows_written", "storage_bytes"}

    code, out, _ = run(org, capsys, "db", "usage", "--json")
    assert code == 0
    [database] = json.loads(out)["databases"]
    assert database["name"] == "app" and database["uuid"]
    [used] = database["instances"]
    assert {k: used[k] for k in named} == named


def _status(org: Org, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, _ = run(org, capsys, "replica", "status", "--json")
    assert code == 0
    lag = json.loads(out)["lag"]
    assert isinstance(lag, dict)
    return lag


def _pane_rows(org: Org, primary: int) -> dict[str, str]:
    """What the console's Replica tab shows for the same file and the same primary frame."""
    target = ReplicaTarget.from_settings(resolve(CliOptions(config=str(org.config))))
    assert target is not None
    rows = lines(
        target, replica.status(org.replica), datetime.now(UTC), PrimaryFrame(primary), None
    )
    return dict(rows)


def test_replica_status_shows_the_lag_the_replica_tab_shows(
    org: Org, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    code, out, _ = run(org, capsys, "replica", "sync", "--json")
    assert code == 0
    synced = json.loads(out)
    assert synced["lag"]["frames_behind"] == 0 and synced["frame_no"] is not None
    assert synced["lag"]["primary_frame"] == synced["frame_no"]

    asyncio.run(_insert(org, sqld_binary, 30))
    # sqld's stats (where the local Turso reads the primary's frame) may still hold the number from before
    # the insert when it starts again: it catches up within a start or two, the Replica tab's refresh too.
    for _ in range(10):
        lag = _status(org, capsys)
        if lag["frames_behind"]:
            break
    assert lag["replica_frame"] == synced["frame_no"]
    assert lag["frames_behind"] > 0
    assert lag["frames_behind"] == lag["primary_frame"] - lag["replica_frame"]

    # Each run starts the local Turso again, whose sqld may again report an older frame at first (as above):
    # the text is read from a run that has caught up with the frame already seen.
    for _ in range(10):
        code, text, _ = run(org, capsys, "replica", "status")
        assert code == 0
        shown = {line[:10].strip(): line[11:] for line in text.splitlines()}
        primary = int(shown["behind"].rsplit("at frame ", 1)[1].rstrip(")"))
        if primary >= lag["primary_frame"]:
            break
    assert primary >= lag["primary_frame"]
    pane = _pane_rows(org, primary)
    assert shown["behind"] == pane["Behind"]  # the same words from the same functions
    assert shown["lag"].endswith(" since the last sync") and pane["Lag"].endswith(
        "since the last sync"
    )
    assert shown["behind"].endswith(f"frames behind the primary (at frame {primary})")

    code, out, _ = run(org, capsys, "replica", "sync", "--json")
    assert code == 0 and json.loads(out)["lag"]["frames_behind"] == 0


def test_a_moved_port_is_reported_once(org: Org, tmp_path: Path) -> None:
    setup = Setup(tmp_path)  # the same config.toml, .env and data dir, tursotui as a real process
    port = urlsplit(org.url).port
    assert port is not None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen(1)
        done = setup.run("db", "list")
    assert done.returncode == 0, done.stderr
    moved = [line for line in done.stderr.splitlines() if "is held by another program" in line]
    assert moved == [f"local Turso: {moved[0].split(': ', 1)[1]}"], (
        done.stderr
    )  # once, named as the local Turso's
    assert f"127.0.0.1:{port} is held by another program; now served on 127.0.0.1:" in moved[0]
    assert done.stderr.count(f"127.0.0.1:{port}") == 1

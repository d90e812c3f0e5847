"""``tursotui restore`` end to end against the local Turso on real sqld (``tursotui.entry.main`` in-process,
config and data dir in tmp_path): the window and age checked before anything is asked (exit 2), the
recovery point named, the restore verified (schema and row counts; exit 1 when it does not verify), and
``--list-points``."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixtures.cli import USERS_AND_EVENTS, Env, fill, local_env, run
from fixtures.local_turso import started_org


async def _seed(directory: Path, binary: Path) -> dict[str, list[tuple[str, float]]]:
    """``app`` (users and events, then a point) and ``drifted`` (a point, then a new table: its
    schema now differs from every point's)."""
    async with started_org(
        directory,
        binary,
        groups={"default": ["sjc"]},
        databases=[("app", "default"), ("drifted", "default")],
    ) as turso:
        for name in ("app", "drifted"):
            await fill(turso, name, USERS_AND_EVENTS)
            await turso.pitr.take(name)
        await fill(turso, "drifted", ["create table extra(x)"])
        return {
            name: [(p.id, p.taken_at) for p in turso.pitr.list(name)] for name in ("app", "drifted")
        }


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    made.points = asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


def names(env: Env, capsys: pytest.CaptureFixture[str]) -> list[str]:
    listed = run(env, capsys, "db", "list", "--json").databases()
    return [d["name"] for d in listed]


def utc_seconds(taken_at: float) -> str:
    return datetime.fromtimestamp(int(taken_at), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_restore_names_the_point_and_verifies(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    point, taken = env.points["app"][-1]
    done = run(env, capsys, "restore", "app", "-t", "now", "--name", "app-now", "--yes", "--json")
    assert done.code == 0, done.err
    data = done.json()
    assert (data["source"], data["name"], data["group"]) == ("app", "app-now", "default")
    assert data["target"] == "local" and data["recovery_point"]["id"] == point
    assert data["recovery_point_used"] == point
    assert data["recovery_point"]["taken_at"].startswith(utc_seconds(taken)[:10])
    gap = data["recovery_point"]["seconds_before"]
    assert gap >= 0
    assert data["verification"]["ok"] and data["verification"]["schema_equal"]
    counts = {
        c["table"]: (c["source_now"], c["restored"]) for c in data["verification"]["row_counts"]
    }
    assert counts == {"users": (120, 120), "events": (40, 40)}
    # The plan, on stderr before the confirmation: which point, taken when, how long before the time.
    named = f"uses    recovery point {point} taken {utc_seconds(taken)}, "
    assert named in done.err and " before the time asked: writes in between are not" in done.err
    assert "window  30 days (local Turso retention_days 30)" in done.err

    text = run(env, capsys, "restore", "app", "-t", "now", "--name", "app-text", "--yes")
    assert text.code == 0, text.err
    assert "restored app as of now = " in text.out and " UTC into NEW database app-text" in text.out
    assert "verify schema equal (sqlite_master of both)" in text.out
    assert "users   120        120       =" in text.out
    assert names(env, capsys) == ["app", "app-now", "app-text", "drifted"]


def test_a_local_wall_clock_time_is_read_in_the_users_zone(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        point, taken = env.points["app"][-1]
        time.sleep(max(0.0, int(taken) + 3 - time.time()))  # the time asked must be past
        wall = datetime.fromtimestamp(int(taken) + 2).astimezone()  # 2 s after the point, local
        asked = f"{wall:%Y-%m-%d %H:%M:%S}"
        done = run(env, capsys, "restore", "app", "-t", asked, "--name", "app-local", "--yes")
        assert done.code == 0, done.err
        utc = datetime.fromtimestamp(int(taken) + 2, UTC)
        assert f"{asked} local (IST +05:30) = {utc:%Y-%m-%d %H:%M:%S} UTC" in done.err
        assert f"recovery point {point} taken {utc_seconds(taken)}, 2 s before" in done.err
    finally:
        monkeypatch.undo()
        time.tzset()


def test_at_the_points_own_time_the_copy_is_exact(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    point, taken = env.points["app"][-1]
    at = datetime.fromtimestamp(int(taken), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = run(env, capsys, "restore", "app", "-t", at, "--name", "app-exact", "--yes", "--json")
    assert done.code == 0, done.err
    assert done.json()["recovery_point"]["seconds_before"] == 0
    assert f"recovery point {point} taken {utc_seconds(taken)}, at the time asked" in done.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "yesterday", "--name", "r1"], "'yesterday' needs a time of day"),
        (["-t", "2999-01-01T00:00:00Z", "--name", "r1"], "is in the future"),
        (["-t", "1h ago", "--name", "r1"], "is before the database existed (created "),
        (["-t", "40 days ago", "--name", "r1"], "older than the 30 days window"),
        (["-t", "now", "--name", "app"], "needs a new name"),
        (["-t", "now"], "restore needs --name NEW (or --list-points)"),
        (
            ["--name", "r1"],
            "restore needs --timestamp T (or --list-points); for T, use a local time",
        ),
        (["--list-points", "-t", "now"], "--list-points lists and restores nothing"),
    ],
)
def test_bad_input_exits_2_before_anything_is_created(
    env: Env, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = ["restore", "app", *args]
    result = run(env, capsys, *argv, "--yes")
    assert result.code == 2, result.err
    assert message in result.err.splitlines()[-1]
    assert "has no timezone" not in result.err
    as_json = run(env, capsys, *argv, "--yes", "--json")
    assert as_json.code == 2 and as_json.json()["exit_code"] == 2
    assert names(env, capsys) == ["app", "drifted"]


def test_the_checks_come_before_the_confirmation(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = run(env, capsys, "restore", "app", "-t", "40 days ago", "--name", "r1")
    assert outside.code == 2 and "older than the 30 days window" in outside.err
    refused = run(env, capsys, "restore", "app", "-t", "now", "--name", "r1")
    assert refused.code == 2 and refused.err.count("\n") == 1 and "without --yes" in refused.err
    assert "from app as of now = " in refused.err
    taken = run(env, capsys, "restore", "app", "-t", "now", "--name", "drifted", "--json")
    assert taken.code == 1  # like the server's 409, and an import into a taken name
    assert taken.json()["error"] == "a database named drifted already exists: choose a free name"
    assert names(env, capsys) == ["app", "drifted"]


def test_a_restore_that_does_not_verify_exits_1(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    """``drifted`` got a table after its only point: the copy's schema differs from the source's."""
    failed = run(env, capsys, "restore", "drifted", "-t", "now", "--name", "d1", "--yes", "--json")
    assert failed.code == 1, failed.err
    data = failed.json()
    assert data["exit_code"] == 1 and data["name"] == "d1"
    assert data["error"].startswith(
        "verification failed: d1 schema DIFFERENT: only in source: table extra"
    )
    assert data["verification"]["ok"] is False
    assert "compared with drifted now" in failed.err
    text = run(env, capsys, "restore", "drifted", "-t", "now", "--name", "d2", "--yes")
    assert text.code == 1
    assert "into NEW database d2" in text.out and "but it does not verify" in text.out
    assert "extra   0" in text.out
    assert names(env, capsys) == ["app", "d1", "d2", "drifted"]  # kept, to look at


def test_list_points(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    point, taken = env.points["app"][-1]
    listed = run(env, capsys, "restore", "app", "--list-points", "--json")
    assert listed.code == 0, listed.err
    data = listed.json()
    assert data["target"] == "local"
    assert [p["id"] for p in data["recovery_points"]] == [p for p, _ in env.points["app"]]
    assert data["window"]["retention_days"] == 30
    text = run(env, capsys, "restore", "app", "--list-points")
    assert text.code == 0
    assert "2 recovery point(s) of app; window 30 days (local Turso retention_days 30)" in text.out
    assert point in text.out and utc_seconds(taken)[:-4] in text.out
    missing = run(env, capsys, "restore", "nope", "--list-points")
    assert missing.code == 1 and "nope" in missing.err

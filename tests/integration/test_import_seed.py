"""Imports into a new database through the CLI, as turso-cli makes one from a file (D9): uploaded in an AWS group
(the local Turso's aws profile), sent as a SQL dump (``POST …/databases/dumps`` + the ``dump`` seed) in a
legacy (Fly) group, whose upload seed the local Turso refuses. Either way the new database gets a recovery
point, and a restore at exactly the time ``restore --list-points`` shows for it works."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import httpx
import pytest
from fixtures.cli import Env, local_env, run
from fixtures.local_turso import started_org

from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformError, Seed

PRIMARY = {"fly": "sjc", "aws": "aws-us-east-1"}


def _old_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table users(id text primary key, email text not null unique);"
        "create index users_email on users(email);"
    )
    conn.executemany("insert into users values (?, ?)", [(f"u{i}", f"u{i}@e") for i in range(42)])
    conn.commit()
    conn.close()
    return path


async def _seed(directory: Path, binary: Path, platform: str) -> None:
    async with started_org(
        directory,
        binary,
        groups={"default": [PRIMARY[platform]]},
        databases=[("app", "default")],
        profile=ProfileChoice(platform=platform),
    ):
        pass


@pytest.fixture(params=["fly", "aws"])
def env(request: pytest.FixtureRequest, tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary, config=f'local_platform = "{request.param}"\n')
    asyncio.run(_seed(made.turso_dir, sqld_binary, request.param))
    return made


def test_import_new_picks_the_seed_by_group_then_restores_at_a_listed_point(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    aws = 'local_platform = "aws"' in env.config.read_text()
    old = _old_db(env.root / "old.db")

    preview = run(env, capsys, "import", str(old), "--new", "migrated", "--dry-run")
    assert preview.code == 0, preview.err
    assert ("is on AWS" if aws else "is not on AWS") in preview.out + preview.err

    done = run(env, capsys, "import", str(old), "--new", "migrated", "--yes", "--json")
    assert done.code == 0, done.err
    assert done.json()["method"] == ("upload" if aws else "dump")
    assert done.json()["tables"] == {"users": 42}

    listed = run(env, capsys, "restore", "migrated", "--list-points", "--json")
    assert listed.code == 0, listed.err
    points = listed.json()["recovery_points"]
    assert len(points) == 1
    assert points[0]["reason"] == ("seeded by upload" if aws else "seeded from dump")
    at = points[0]["taken_at"]  # exactly as listed (whole seconds)

    restored = run(
        env, capsys, "restore", "migrated", "--timestamp", at, "--name", "again", "--yes", "--json"
    )
    assert restored.code == 0, restored.err
    data = restored.json()
    assert data["recovery_point_used"] == points[0]["id"]
    assert data["verification"]["ok"] is True
    assert {"table": "users", "source_now": 42, "restored": 42} in data["verification"][
        "row_counts"
    ]


async def test_the_dumps_endpoint_takes_a_multipart_file_once(local_turso: LocalTurso) -> None:
    """``POST …/databases/dumps`` as turso-cli sends it; its file serves one create, made or refused."""
    platform = local_turso.platform_client(max_retries=0)
    dumps = local_turso.cp.data_dir / "dumps"
    path = f"/v1/organizations/{local_turso.organization}/databases/dumps"
    try:
        await platform.create_group("default", "sjc")
        async with httpx.AsyncClient(
            transport=local_turso.transport(),
            base_url=IN_PROCESS_BASE_URL,
            headers={"Authorization": f"Bearer {local_turso.api_token}"},
        ) as http:
            for kwargs, words in (
                ({"content": b"create table t(x);"}, "multipart/form-data"),
                ({"files": {"other": ("d.sql", b"create table t(x);")}}, "no 'file' field"),
                ({"files": {"file": ("d.sql", b"  ")}}, "is empty"),
            ):
                refused = await http.post(path, **kwargs)  # type: ignore[arg-type]
                assert refused.status_code == 400 and words in refused.json()["error"]
        dump = local_turso.cp.data_dir.parent / "d.sql"
        dump.write_text(
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t(x);\nCOMMIT;\n"
        )
        url = await platform.upload_dump(dump)
        assert url.startswith("file://") and [p.suffix for p in dumps.iterdir()] == [".sql"]
        assert stat.S_IMODE(next(dumps.iterdir()).stat().st_mode) == 0o600
        with pytest.raises(PlatformError, match="invalid"):
            await platform.create_database("Bad Name", "default", seed=Seed.dump(url))
        assert list(dumps.iterdir()) == []  # refused: the dump is gone, a retry uploads again
        url = await platform.upload_dump(dump)
        await platform.create_database("from-dump", "default", seed=Seed.dump(url))
        assert list(dumps.iterdir()) == []
    finally:
        await platform.aclose()

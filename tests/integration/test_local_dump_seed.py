"""The dump seed reads only a .sql file the caller names, loads it whole or not at all, and never
quotes the file in an error. Real sqld."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso

DBS = "/v1/organizations/local/databases"


@pytest.fixture
async def api(local_turso: LocalTurso) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url="http://local",
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as client:
        made = await client.post(
            "/v1/organizations/local/groups", json={"name": "default", "location": "sjc"}
        )
        assert made.status_code == 200
        yield client


async def _refused(api: httpx.AsyncClient, url: str) -> str:
    """Answered 400, and no database (nor namespace) is left: the name is free again."""
    response = await api.post(DBS, json={"name": "d", "seed": {"type": "dump", "url": url}})
    assert response.status_code == 400, response.text
    assert (await api.get(f"{DBS}/d")).status_code == 404
    assert (await api.post(DBS, json={"name": "d"})).status_code == 200
    assert (await api.delete(f"{DBS}/d")).status_code == 200
    return str(response.json()["error"])


def _files(tmp_path: Path) -> dict[str, str]:
    directory = tmp_path / "folder.sql"
    directory.mkdir()
    (tmp_path / "notes.txt").write_text("CREATE TABLE t(x);")
    link = tmp_path / "link.sql"
    link.symlink_to("/etc/passwd")
    return {
        "a directory": directory.as_uri(),
        "another suffix": (tmp_path / "notes.txt").as_uri(),
        "a symlink to a non-.sql file": link.as_uri(),
        "/proc": "file:///proc/self/status",
        "/dev": "file:///dev/zero",
        "/dev with .sql": "file:///dev/shm/../null.sql",
        "missing": (tmp_path / "missing.sql").as_uri(),
        "http": "http://127.0.0.1:9/x.sql",
    }


async def test_only_a_named_sql_file_is_read(api: httpx.AsyncClient, tmp_path: Path) -> None:
    for what, url in _files(tmp_path).items():
        error = await _refused(api, url)
        assert "dump" in error, what


@pytest.mark.parametrize("content", ["", "   \n\n", "-- only a comment\n/* and another */\n;\n"])
async def test_a_dump_with_no_statement_is_refused(
    api: httpx.AsyncClient, tmp_path: Path, content: str
) -> None:
    dump = tmp_path / "empty.sql"
    dump.write_text(content)
    assert "no SQL statement" in await _refused(api, dump.as_uri())


async def test_a_parse_error_never_quotes_the_file(api: httpx.AsyncClient, tmp_path: Path) -> None:
    dump = tmp_path / "secret.sql"
    dump.write_text("CREATE TABLE t(x);\nSECRET_LINE_ABC=hunter2;\n")
    error = await _refused(api, dump.as_uri())
    assert "statement 2" in error
    assert "SECRET" not in error and "hunter2" not in error


async def test_a_dump_that_loads_only_partly_leaves_no_database(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    dump = tmp_path / "partial.sql"
    dump.write_text("CREATE TABLE t(x);\nINSERT INTO t VALUES (1);\nthis is garbage")
    assert "statement 3" in await _refused(api, dump.as_uri())
    attach = tmp_path / "attach.sql"
    attach.write_text(f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS o;\n")
    assert "statement 1" in await _refused(api, attach.as_uri())
    assert not (tmp_path / "other.db").exists()


async def test_a_whole_dump_loads(
    api: httpx.AsyncClient, local_turso: LocalTurso, tmp_path: Path
) -> None:
    dump = tmp_path / "ok.sql"
    dump.write_text(
        "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
        "CREATE TABLE t(x); INSERT INTO t VALUES ('a;b');\n-- a comment; with a semicolon\n"
        "INSERT INTO t VALUES ('c')\n;COMMIT;\n"
    )
    made = await api.post(DBS, json={"name": "ok", "seed": {"type": "dump", "url": dump.as_uri()}})
    assert made.status_code == 200, made.text
    token = (await api.post(f"{DBS}/ok/auth/tokens")).json()["jwt"]
    async with HranaClient("http://" + made.json()["database"]["Hostname"], token) as sql:
        assert (await sql.execute("select x from t order by x")).rows == (("a;b",), ("c",))

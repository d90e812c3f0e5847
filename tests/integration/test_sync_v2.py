"""Embedded-replica sync v2 served by the local Turso (real sqld), used by a real ``libsql==0.1.11`` replica:
bootstrap, incremental pulls, remote writes read back at once, a transaction larger than a pull, tokens, the
refused push, the cloud's refusal of legacy replication, and the replica file read offline without a checkpoint."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fixtures.sync_v2 import check_copy, database, info, replica, rows

from tursotui.libsql import HranaClient
from tursotui.libsql import replica as replica_files
from tursotui.local.control import archive
from tursotui.local.control.keys import SigningKey
from tursotui.local.engine.gate import LEGACY_SYNC
from tursotui.local.engine.syncv2.server import PUSH_REFUSED
from tursotui.local.host.service import LocalTurso

pytestmark = pytest.mark.sqld
COUNT = "select count(*) from users"


async def _users(url: str, token: str, n: int) -> None:
    async with HranaClient(url, token) as sql:
        await sql.execute("create table users(id text primary key, email text)")
        await sql.batch(
            [("insert into users values (?, ?)", [f"u{i:05d}", f"u{i}@x.io"]) for i in range(n)]
        )


async def test_bootstrap_pull_and_read_your_writes(local_turso: LocalTurso, tmp_path: Path) -> None:
    url, token = await database(local_turso)
    await _users(url, token, 3000)
    path = tmp_path / "r" / "app.db"
    started = time.perf_counter()
    first = await replica(path, url, token, ["sync"], ["query", COUNT])
    took = time.perf_counter() - started
    assert first["ok"], first
    assert first["rows"] == [[[3000]]]
    print(
        f"bootstrap of 3,000 rows: {first['seconds']:.3f} s in the client, {took:.2f} s with its start"
    )
    generation = info(path)["generation"]

    async with HranaClient(url, token) as sql:  # written elsewhere: pulled by the next sync
        await sql.batch([("insert into users values (?, ?)", [f"n{i}", "n"]) for i in range(10)])
    second = await replica(path, url, token, ["sync"], ["query", COUNT])
    assert second["rows"] == [[[3010]]]
    assert info(path)["generation"] == generation and info(path)["durable_frame_num"] > 0

    # A write through the replica goes to the primary (Hrana) and is read back locally without sync().
    mine = await replica(
        path,
        url,
        token,
        ["exec", "insert into users values (?, ?)", ["mine", "me@x.io"]],
        ["commit"],
        ["query", "select email from users where id = 'mine'"],
    )
    assert mine["ok"], mine
    assert mine["rows"] == [[["me@x.io"]]]
    assert await rows(url, token, "select email from users where id = 'mine'") == [["me@x.io"]]

    # Offline: the file opens read-only with the remote's rows, and the reader never checkpoints libsql's WAL.
    wal = path.with_name("app.db-wal")
    size = wal.stat().st_size
    with replica_files.open_offline(path) as db:
        assert db.execute(COUNT).rows == ((3011,),)
    assert wal.stat().st_size == size
    again = await replica(path, url, token, ["sync"], ["query", COUNT])
    assert again["ok"] and again["rows"] == [[[3011]]]


async def test_a_transaction_larger_than_a_pull_arrives_whole(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await database(local_turso)
    await _users(url, token, 5)
    path = tmp_path / "r" / "app.db"
    assert (await replica(path, url, token, ["sync"]))["ok"]
    before = info(path)["durable_frame_num"]
    async with HranaClient(url, token) as sql:  # one statement, one transaction of ~400 pages
        await sql.execute("create table big(id integer primary key, blob blob)")
        await sql.execute(
            "with recursive c(x) as (select 1 union all select x + 1 from c where x < 400) "
            "insert into big select x, randomblob(3000) from c"
        )
    pulled = await replica(path, url, token, ["sync"], ["query", "select count(*) from big"])
    assert pulled["ok"] and pulled["rows"] == [[[400]]]
    assert info(path)["durable_frame_num"] - before > 3 * 128  # more than three pulls of 128 frames
    expected = await rows(url, token, "select sum(length(blob)), max(id) from big")
    integrity, found = check_copy(
        path, tmp_path / "copy", "select sum(length(blob)), max(id) from big"
    )
    assert integrity == "ok" and [list(r) for r in found] == expected


async def test_tokens_are_checked_for_this_database(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await database(local_turso)
    other_url, other_token = await database(local_turso, "other", "second")
    await _users(url, token, 1)
    expired = SigningKey.generate().mint(expires_in=-120)
    async with httpx.AsyncClient(timeout=30) as http:
        ok = await http.get(f"{url}/info", headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["current_generation"] > 0
        for headers in (
            {},
            {"authorization": "Bearer not-a-token"},
            {"authorization": f"Bearer {other_token}"},  # another group's database
            {"authorization": f"Bearer {expired}"},
        ):
            refused = await http.get(f"{url}/sync/1/1/129", headers=headers)
            assert refused.status_code == 401, (headers, refused.text)
            assert "error" in refused.json()
    failed = await replica(tmp_path / "bad.db", url, "not-a-token", ["sync"])
    assert not failed["ok"] and "401" in failed["error"]
    assert not (tmp_path / "bad.db").exists()
    assert (await replica(tmp_path / "o.db", other_url, other_token, ["sync"]))["ok"]


async def test_push_is_refused_with_a_4xx_that_says_why(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await database(local_turso)
    await _users(url, token, 3)
    auth = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as http:
        g = (await http.get(f"{url}/info", headers=auth)).json()["current_generation"]
        pushed = await http.post(f"{url}/sync/{g}/1/2", headers=auth, content=bytes(4120))
    assert pushed.status_code == 405 and pushed.json()["error"] == PUSH_REFUSED
    assert "offline=False" in PUSH_REFUSED

    path = tmp_path / "offline.db"
    started = time.perf_counter()
    answer = await replica(
        path,
        url,
        token,
        ["sync"],
        ["exec", "insert into users values ('off', 'o')"],
        ["commit"],
        ["sync"],
        offline=True,
    )
    assert not answer["ok"] and "405" in answer["error"]
    assert "offline writes cannot be pushed" in answer["error"]
    assert time.perf_counter() - started < 5  # a 4xx is not retried like a 5xx (about 6 s)
    assert await rows(url, token, "select count(*) from users where id = 'off'") == [[0]]


async def test_legacy_replication_is_refused_as_turso_cloud_refuses_it(
    local_turso: LocalTurso,
) -> None:
    url, token = await database(local_turso)
    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
    }
    async with httpx.AsyncClient(timeout=30) as http:
        for path in ("/wal_log.ReplicationLog/Hello", "/proxy.Proxy/Execute"):
            answer = await http.post(
                url + path, headers=headers, content=b"\x00\x00\x00\x00\x02\x08\x01"
            )
            assert answer.headers["grpc-status"] == "12", path  # Unimplemented
            assert "deprecated version of sync" in answer.headers["grpc-message"]
    assert "Please upgrade your client" in LEGACY_SYNC
    # The database still syncs the current way.
    assert (await replica(Path(local_turso.data_dir) / "r.db", url, token, ["sync"]))["ok"]


async def test_a_replica_location_serves_the_same_generations_and_archived_stays_502(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await database(local_turso)
    await _users(url, token, 20)
    client = local_turso.platform_client(max_retries=0)
    try:
        await client.add_location("default", "iad")
        urls = {i.region: i.url for i in await client.list_instances("app")}
    finally:
        await client.aclose()
    assert urls["sjc"] == url and urls["iad"] != url
    near = tmp_path / "near" / "app.db"
    synced = await replica(near, urls["iad"], token, ["sync"], ["query", COUNT])
    assert synced["ok"] and synced["rows"] == [[[20]]]
    # One store for the database: the primary's URL continues the replica the iad URL made.
    more = await replica(near, url, token, ["sync"], ["query", COUNT])
    assert more["ok"] and more["rows"] == [[[20]]]

    await archive.archive(local_turso.cp, "default")
    async with httpx.AsyncClient(timeout=30) as http:
        for each in urls.values():
            answer = await http.get(f"{each}/info", headers={"authorization": f"Bearer {token}"})
            assert answer.status_code == 502 and "is archived" in answer.json()["error"]

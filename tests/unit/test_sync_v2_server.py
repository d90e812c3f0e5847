"""The sync server without sqld (a scripted replication log): grants and their refusals before anything is read,
stores by database id and deleted with the database, mirrors evicted within the byte budget and read again from
disk, the 128-frame cap of a /sync answer, a streamed export, a store error after the catch-up said as a 503,
and store writes that finish before a cancelled catch-up lets go of its lock."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.sync_v2_log import PAGE, FakeLog, page

from tursotui.local.engine.syncv2 import SyncAccess, SyncServer
from tursotui.local.engine.syncv2.answers import MAX_FRAMES, Reply
from tursotui.local.engine.syncv2.codec import V2_FRAME
from tursotui.local.engine.syncv2.database import DatabaseSync, settled
from tursotui.local.engine.syncv2.follower import Follower

APP = "5b0c8f3e-0000-4000-8000-00000000a001"
LEDGER = "5b0c8f3e-0000-4000-8000-00000000a002"


def _allow(token: bytes) -> SyncAccess:
    return SyncAccess(APP, lambda auth: None if auth == token else "this token is not for app")


def _status(reply: Reply) -> int:
    return int(reply.data.split(b" ", 2)[1])


def _body(reply: Reply) -> Any:
    return json.loads(reply.data.split(b"\r\n\r\n", 1)[1])


def _server(tmp_path: Path, **options: Any) -> SyncServer:
    return SyncServer(tmp_path / "syncv2", lambda: 1, httpx.AsyncClient(), **options)


def _follow(server: SyncServer, namespace: str, database_id: str, log: FakeLog) -> DatabaseSync:
    """The server's entry for ``database_id``, reading ``log`` instead of sqld."""
    client: Any = log
    sync = DatabaseSync(namespace, server.root / database_id, Follower(client), server.policy)
    server.databases[database_id] = sync
    return sync


async def test_no_grant_or_a_refused_token_reads_nothing(tmp_path: Path) -> None:
    server = _server(tmp_path)
    log = FakeLog()
    log.commit({1: page(1)}, 1)
    _follow(server, "app", APP, log)
    missing = await server.answer("app", b"GET", b"/info", b"Bearer t")
    assert _status(missing) == 404 and "not served" in _body(missing)["error"]
    server.grant("app", _allow(b"Bearer t"))
    refused = await server.answer("app", b"GET", b"/info", b"Bearer other")
    assert _status(refused) == 401 and _body(refused) == {"error": "this token is not for app"}
    assert log.calls == []  # refused before sqld was asked anything
    ok = await server.answer("app", b"GET", b"/info", b"Bearer t")
    assert _status(ok) == 200 and _body(ok)["current_frame_no"] == 0
    assert (server.root / APP / "meta.json").exists()
    with pytest.raises(ValueError, match="not a database id"):
        server.grant("app", SyncAccess("../x", lambda auth: None))

    def choke(auth: bytes | None) -> str | None:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "a token the checker cannot read")

    server.grant("app", SyncAccess(APP, choke))
    choked = await server.answer("app", b"GET", b"/info", b"Bearer \xff")
    assert _status(choked) == 401 and "could not be checked" in _body(choked)["error"]


async def test_stores_kept_by_name_by_an_older_tursotui_are_swept_once(tmp_path: Path) -> None:
    server = _server(tmp_path)
    for name in ("app", "notes"):
        (server.root / name).mkdir(parents=True)
        (server.root / name / "meta.json").write_text("{}")
    (server.root / "keep-me").mkdir()  # not a store
    server.grant("app", _allow(b"t"))
    server.grant(
        "notes", SyncAccess("notes", lambda auth: None)
    )  # an id that is not a UUID: served
    log = FakeLog()
    log.commit({1: page(1)}, 1)
    _follow(server, "app", APP, log)
    assert _status(await server.answer("app", b"GET", b"/info", b"t")) == 200
    assert sorted(p.name for p in server.root.iterdir() if p.is_dir()) == [APP, "keep-me", "notes"]


async def test_every_catch_up_says_hello_and_a_new_log_id_is_published_as_a_diff(
    tmp_path: Path,
) -> None:
    server = _server(tmp_path)
    server.grant("app", _allow(b"t"))
    log = FakeLog()
    log.commit({1: page(1), 2: page(2)}, 2)
    sync = _follow(server, "app", APP, log)
    await server.answer("app", b"GET", b"/info", b"t")
    await server.answer("app", b"GET", b"/info", b"t")
    assert log.calls.count("hello") == 2
    # The namespace replaced (an upload): the old session still answers, only Hello shows the new log.
    log.log_id, log.frames = "log-new", []
    log.commit({1: page(7), 2: page(2), 3: page(8)}, 3)
    info = _body(await server.answer("app", b"GET", b"/info", b"t"))
    assert info["current_frame_no"] == 2  # pages 1 and 3 changed: one transaction
    assert sync.store is not None and bytes(sync.store.mirror) == page(7) + page(2) + page(8)


async def test_a_forgotten_database_s_store_is_deleted_and_its_name_starts_again(
    tmp_path: Path,
) -> None:
    server = _server(tmp_path)
    server.grant("app", _allow(b"t"))
    old = FakeLog()
    old.commit({1: page(1)}, 1)
    sync = _follow(server, "app", APP, old)
    first = _body(await server.answer("app", b"GET", b"/info", b"t"))["current_generation"]
    await server.forget("app", APP)
    assert sync.gone and APP not in server.databases and not (server.root / APP).exists()
    assert _status(await server.answer("app", b"GET", b"/info", b"t")) == 404
    # The name again, another database: its own store, a generation number never used before.
    server.grant("app", SyncAccess(LEDGER, lambda auth: None))
    new = FakeLog(log_id="other")
    new.commit({1: page(9)}, 1)
    _follow(server, "app", LEDGER, new)
    again = _body(await server.answer("app", b"GET", b"/info", b"t"))["current_generation"]
    assert again > first
    export = await server.answer("app", b"GET", f"/export/{first}".encode(), b"t")
    assert _status(export) == 404  # the old generation is nowhere


async def test_mirrors_beyond_the_budget_are_unloaded_and_read_again(tmp_path: Path) -> None:
    server = _server(tmp_path, budget=3 * PAGE)
    logs = {}
    for key, name in ((APP, "app"), (LEDGER, "ledger")):
        server.grant(name, SyncAccess(key, lambda auth: None))
        logs[key] = FakeLog(log_id=name)
        logs[key].commit({1: page(1), 2: page(2)}, 2)
        _follow(server, name, key, logs[key])
        await server.answer(name, b"GET", b"/info", b"t")
        assert server.loaded_bytes() == 2 * PAGE  # ledger's 2 pages: 4 > 3, app (least recent) went
    assert APP not in server.databases and LEDGER in server.databases
    # Read again from disk when asked again (a new follower: the scripted log stands in for it).
    logs[APP].commit({2: page(5)}, 2)
    sync = _follow(server, "app", APP, logs[APP])
    assert sync.store is None
    info = _body(await server.answer("app", b"GET", b"/info", b"t"))
    assert info["current_frame_no"] == 1 and sync.store is not None
    assert bytes(sync.store.mirror) == page(1) + page(5)
    assert LEDGER not in server.databases  # now ledger was the least recently used


async def test_a_sync_answer_carries_at_most_128_frames_and_an_export_streams(
    tmp_path: Path,
) -> None:
    server = _server(tmp_path)
    server.grant("app", _allow(b"t"))
    log = FakeLog(batch_size=1000)
    log.commit({1: page(1)}, 1)
    _follow(server, "app", APP, log)
    g = _body(await server.answer("app", b"GET", b"/info", b"t"))["current_generation"]
    log.commit({n: page(n % 250) for n in range(1, 301)}, 300)  # one transaction of 300 frames
    reply = await server.answer("app", b"GET", f"/sync/{g}/1/1000".encode(), b"t")
    assert _status(reply) == 200
    assert len(reply.data.split(b"\r\n\r\n", 1)[1]) == MAX_FRAMES * V2_FRAME
    export = await server.answer("app", b"GET", f"/export/{g}".encode(), b"t")
    assert export.file is not None and export.size == PAGE
    received = await _sent(export)
    assert received.endswith(b"\r\n\r\n" + page(1)) and b"content-length: 4096" in received


async def _sent(reply: Reply) -> bytes:
    """What :meth:`Reply.send` writes to a real loopback connection."""
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reply.send(writer)
        writer.close()
        done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        data = await reader.read()
        writer.close()
        await done.wait()
        return data
    finally:
        server.close()
        await server.wait_closed()


async def test_a_store_error_after_the_catch_up_is_a_503_and_the_store_is_read_again(
    tmp_path: Path,
) -> None:
    server = _server(tmp_path)
    server.grant("app", _allow(b"t"))
    log = FakeLog()
    log.commit({1: page(1)}, 1)
    sync = _follow(server, "app", APP, log)
    g = _body(await server.answer("app", b"GET", b"/info", b"t"))["current_generation"]
    log.commit({1: page(2)}, 1)
    assert sync.store is not None

    def broken(*args: object) -> bytes:
        raise OSError(5, "Input/output error")

    sync.store.frames = broken  # type: ignore[method-assign]
    reply = await server.answer("app", b"GET", f"/sync/{g}/1/129".encode(), b"t")
    assert _status(reply) == 503 and "Input/output error" in _body(reply)["error"]
    assert sync.store is None  # read again from disk next time
    again = await server.answer("app", b"GET", f"/sync/{g}/1/129".encode(), b"t")
    assert _status(again) == 200 and len(again.data.split(b"\r\n\r\n", 1)[1]) == V2_FRAME


async def test_a_cancelled_caller_waits_for_the_store_write_to_finish() -> None:
    started, finished = threading.Event(), threading.Event()

    def write() -> str:
        started.set()
        time.sleep(0.3)
        finished.set()
        return "written"

    task = asyncio.create_task(settled(write))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()  # the lock the caller held was released only after the write
    assert await settled(lambda: 42) == 42

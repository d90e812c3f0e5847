"""The pieces that let the local Turso hold a fleet (issue 15), each against what it must survive: the proxy's
replay of sqld's eviction 404 (a scripted sqld, so the race happens on every run), the row counts read from
answers cut anywhere, and the state journal (torn lines, a journal older than state.json, a full disk)."""

from __future__ import annotations

import asyncio
import errno
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tursotui.local.control import journal as journal_module
from tursotui.local.control.state import (
    JOURNAL_FROM,
    DatabaseState,
    GroupState,
    StateError,
    StateStore,
)
from tursotui.local.engine.proxy import NamespaceProxy
from tursotui.local.engine.tally import RowScanner, Tally
from tursotui.local.errors import ApiError
from tursotui.local.host.service import LocalTurso

EVICTED = b'{"error":"Namespace `t` doesn\'t exist"}'
ANSWER = b'{"results":[{"rows_read":3,"rows_written":2}]}'
SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}


@dataclass
class ScriptedSqld:
    """Answers the first ``evict`` requests with sqld's eviction 404, then 200 with row counts."""

    evict: int = 1
    other_404: bool = False
    bodies: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.lower().split(b"\r\n")
                body = b""
                if any(line.startswith(b"transfer-encoding: chunked") for line in lines):
                    while (size := int((await reader.readuntil(b"\r\n")).strip(), 16)) > 0:
                        body += await reader.readexactly(size + 2)
                    await reader.readuntil(b"\r\n")
                for line in lines:
                    if line.startswith(b"content-length:"):
                        body = await reader.readexactly(int(line.split(b":")[1]))
                self.bodies.append(body)
                if len(self.bodies) <= self.evict:
                    payload = b'{"error":"no such thing"}' if self.other_404 else EVICTED
                    status = b"404 Not Found"
                else:
                    payload, status = ANSWER, b"200 OK"
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n" % len(payload) + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[
    Callable[..., asyncio.Future[tuple[ScriptedSqld, NamespaceProxy]]]
]:
    made: list[tuple[ScriptedSqld, NamespaceProxy]] = []

    async def make(**kwargs: object) -> tuple[ScriptedSqld, NamespaceProxy]:
        sqld = ScriptedSqld(**kwargs)  # type: ignore[arg-type]
        sqld.server = await asyncio.start_server(sqld.handle, "127.0.0.1", 0)
        proxy = NamespaceProxy("t", int(sqld.server.sockets[0].getsockname()[1]))
        await proxy.start()
        made.append((sqld, proxy))
        return sqld, proxy

    yield make  # type: ignore[misc]
    for sqld, proxy in made:
        await proxy.stop()
        assert sqld.server is not None
        sqld.server.close()


async def _post(proxy: NamespaceProxy, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(f"http://127.0.0.1:{proxy.port}/v2/pipeline", **kwargs)  # type: ignore[arg-type]


async def test_the_eviction_404_is_replayed_and_the_answer_counted(
    scripted: Callable[..., object],
) -> None:
    sqld, proxy = await scripted(evict=1)  # type: ignore[operator]
    answer = await _post(proxy, json=SELECT)
    assert answer.status_code == 200
    assert answer.content == ANSWER
    assert proxy.evictions_retried == 1
    assert len(sqld.bodies) == 2 and sqld.bodies[0] == sqld.bodies[1]
    assert json.loads(sqld.bodies[1]) == SELECT
    assert (proxy.tally.rows_read, proxy.tally.rows_written, proxy.tally.written) == (3, 2, True)


async def test_three_tries_at_most_then_sqlds_answer(scripted: Callable[..., object]) -> None:
    sqld, proxy = await scripted(evict=10)  # type: ignore[operator]
    answer = await _post(proxy, json=SELECT)
    assert answer.status_code == 404 and answer.content == EVICTED
    assert len(sqld.bodies) == 3
    assert proxy.tally.rows_read == 0


async def test_a_request_not_held_whole_is_never_replayed(scripted: Callable[..., object]) -> None:
    sqld, proxy = await scripted(evict=1)  # type: ignore[operator]

    async def chunks() -> AsyncIterator[bytes]:
        yield json.dumps(SELECT).encode()

    answer = await _post(proxy, content=chunks())  # streamed: chunked, never read whole
    assert answer.status_code == 404 and answer.content == EVICTED
    assert len(sqld.bodies) == 1 and proxy.evictions_retried == 0


async def test_another_404_is_not_replayed(scripted: Callable[..., object]) -> None:
    sqld, proxy = await scripted(evict=1, other_404=True)  # type: ignore[operator]
    answer = await _post(proxy, json=SELECT)
    assert answer.status_code == 404 and answer.json() == {"error": "no such thing"}
    assert len(sqld.bodies) == 1


@pytest.mark.parametrize("cut", [1, 7, 13, 19, 30, 31, 33, 47])
def test_rows_are_counted_wherever_the_answer_is_cut(cut: int) -> None:
    body = b'{"a":"\\"rows_read\\":99","rows_read":123456789012,"x":1,"rows_written":  45}' * 3
    tally = Tally()
    scanner = RowScanner(tally)
    for start in range(0, len(body), cut):
        scanner.feed(body[start : start + cut])
    scanner.close()
    assert (tally.rows_read, tally.rows_written) == (3 * 123456789012, 3 * 45)


def _org(store: StateStore, count: int) -> None:
    state = store.load()
    state.groups["g"] = GroupState("g", "sjc", ["sjc"])
    store.save(state)
    for n in range(count):
        state.databases[f"db{n}"] = DatabaseState(f"db{n}", "g", 20_000 + n)
        store.save(state, [f"db{n}"])


def test_a_large_org_journals_and_reads_back_what_it_journaled(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    _org(store, JOURNAL_FROM + 50)
    assert store.journal.lines > 0 and (tmp_path / "state.journal").stat().st_mode & 0o777 == 0o600
    state = store.load()
    del state.databases["db3"]
    store.save(state, ["db3"])
    again = StateStore(tmp_path).load()
    assert again.to_json() == state.to_json()
    # A kill in the middle of an append leaves half a line: it was never answered, so it is not read.
    with (tmp_path / "state.journal").open("ab") as fh:
        fh.write(b'{"db":"db4","gone":tr')
    assert StateStore(tmp_path).load().to_json() == state.to_json()


def test_a_journal_older_than_state_json_is_not_replayed(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    _org(store, JOURNAL_FROM + 5)
    stale = (tmp_path / "state.journal").read_bytes()
    state = store.load()
    state.databases.pop("db1")
    store.compact(state)  # state.json without db1; the journal is folded in and removed
    (tmp_path / "state.journal").write_bytes(stale)  # as if killed before the journal went
    assert "db1" not in StateStore(tmp_path).load().databases


def test_a_bad_journal_line_is_named_and_nothing_is_changed(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    _org(store, JOURNAL_FROM + 5)
    path = tmp_path / "state.journal"
    path.write_bytes(path.read_bytes() + b"not json\n")
    before = path.read_bytes()
    with pytest.raises(StateError, match=r"state\.journal, line \d+"):
        StateStore(tmp_path).load()
    assert path.read_bytes() == before


def test_an_append_the_disk_refuses_is_cut_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    _org(store, JOURNAL_FROM + 5)
    state = store.load()
    before = (tmp_path / "state.journal").read_bytes()
    real_write = journal_module.os.write

    def full(fd: int, data: bytes) -> int:
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", full)
    state.databases["late"] = DatabaseState("late", "g", 30_000)
    with pytest.raises(OSError, match=r"state\.journal"):
        store.save(state, ["late"])
    monkeypatch.undo()
    assert (tmp_path / "state.journal").read_bytes() == before
    assert "late" not in StateStore(tmp_path).load().databases


@pytest.fixture
async def turso(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    started = await LocalTurso(tmp_path / "org", recovery_interval=0, binary=sqld_binary).start()
    try:
        await started.cp.create_group("g", "sjc")
        yield started
    finally:
        await started.close()


def _held_seed(turso: LocalTurso) -> tuple[asyncio.Event, asyncio.Event, Callable[..., object]]:
    """A seed that makes the namespace (with the group's key of that moment), then waits for ``go``."""
    made, go = asyncio.Event(), asyncio.Event()

    async def seed(db: DatabaseState) -> None:
        await turso.cp.create_namespace(db)
        made.set()
        await go.wait()

    return made, go, seed


async def test_a_key_rotated_while_a_database_is_created_is_the_key_it_gets(
    turso: LocalTurso,
) -> None:
    """Creates do not hold the lock while sqld works: a rotation can run meanwhile, and the database is
    given the group's new key when it is recorded."""
    made, go, seed = _held_seed(turso)
    creating = asyncio.create_task(turso.cp.create_database("late", "g", seed=seed))  # type: ignore[arg-type]
    await asyncio.wait_for(made.wait(), 10)
    await asyncio.wait_for(turso.cp.rotate_group_key("g"), 10)  # not waiting for the create
    go.set()
    db = await creating
    token = await turso.cp.create_token(group="g", database=db, expiration=None, authorization=None)
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(
            f"http://127.0.0.1:{db.port}/v2/pipeline",
            json=SELECT,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, answer.text


async def test_a_group_deleted_while_a_database_is_created_refuses_it(turso: LocalTurso) -> None:
    made, go, seed = _held_seed(turso)
    creating = asyncio.create_task(turso.cp.create_database("late", "g", seed=seed))  # type: ignore[arg-type]
    await asyncio.wait_for(made.wait(), 10)
    with pytest.raises(ApiError, match="already exists"):  # the name is claimed meanwhile
        await turso.cp.create_database("late", "g")
    await turso.cp.delete_group("g")
    go.set()
    with pytest.raises(ApiError, match="was deleted while late was created"):
        await creating
    assert "late" not in turso.cp.state.databases
    assert not turso.cp.namespace_file("late").parent.exists()  # its namespace went too


async def test_past_the_listener_budget_a_create_is_refused_and_leaves_nothing(
    turso: LocalTurso, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One listening port per database instance, within the open-file limit: past the budget a create is
    a 507 saying so, and neither the name nor a namespace is left."""
    from tursotui.local.engine import limits

    monkeypatch.setattr(limits, "max_listeners", lambda: limits.LISTENERS)
    with pytest.raises(ApiError, match="serves at most") as refused:
        await turso.cp.create_database("one-too-many", "g")
    assert refused.value.status == 507
    assert "open-file limit" in refused.value.message
    assert "one-too-many" not in turso.cp.state.databases
    assert not turso.cp.namespace_file("one-too-many").parent.exists()
    monkeypatch.undo()
    assert (await turso.cp.create_database("one-too-many", "g")).port > 0  # the name is free

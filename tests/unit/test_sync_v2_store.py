"""The sync-v2 generation store on disk (no sqld): frames, chaining, rotation, pruning, reload, crash leftovers,
file modes, and what the endpoints answer from it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from tursotui.local.engine.syncv2.codec import PAGE_SIZE, V2_FRAME, parse_v2_frame
from tursotui.local.engine.syncv2.files import COUNTER, claim_generation
from tursotui.local.engine.syncv2.server import _frames
from tursotui.local.engine.syncv2.store import (
    META,
    Cursor,
    GenerationStore,
    Policy,
    StoreError,
    apply,
    diff,
)


def page(fill: int) -> bytes:
    return bytes([fill]) * PAGE_SIZE


def image(*fills: int) -> bytes:
    return b"".join(page(f) for f in fills)


def replay(base: bytes, frames: bytes) -> bytes:
    """What a replica holds after applying ``frames`` (committed transactions only) on ``base``."""
    out, pending = bytearray(base), []
    for k in range(0, len(frames), V2_FRAME):
        page_no, size_after, data = parse_v2_frame(frames[k : k + V2_FRAME])
        pending.append((page_no, data))
        if size_after:
            apply(out, pending, size_after)
            pending = []
    return bytes(out)


def test_publish_appends_frames_and_serves_them_by_position(tmp_path: Path) -> None:
    store = GenerationStore.create(tmp_path / "db", image(1, 2), Cursor("log", 5))
    g = store.current
    assert g > 1_000_000_000  # from the clock: a wiped store never reuses an old number
    assert store.base(g) == image(1, 2) and store.frame_count(g) == 0
    added = store.publish(
        [([(2, page(9)), (3, page(3))], 3), ([(1, page(7))], 3)], Cursor("log", 9)
    )
    assert added == 3 and store.frame_count(g) == 3 and store.cursor == Cursor("log", 9)
    frames = store.frames(g, 1, 129)
    assert len(frames) == 3 * V2_FRAME
    assert [parse_v2_frame(frames[k : k + V2_FRAME])[:2] for k in (0, V2_FRAME, 2 * V2_FRAME)] == [
        (2, 0),
        (3, 3),
        (1, 3),
    ]
    assert store.frames(g, 2, 3) == frames[V2_FRAME : 2 * V2_FRAME]
    assert store.frames(g, 4, 129) == b""
    assert replay(image(1, 2), frames) == bytes(store.mirror) == image(7, 9, 3)


def test_rotation_chains_generations_and_prunes_old_ones(tmp_path: Path) -> None:
    policy = Policy(min_frames=2, max_frames=2, keep=2)
    store = GenerationStore.create(tmp_path / "db", image(1), Cursor("log", 1))
    first = store.current
    store.publish([([(1, page(2))], 1), ([(2, page(3))], 2)], Cursor("log", 3))
    assert store.rotate_if_full(policy)
    second = store.current
    assert second == first + 1
    # base(g+1) == base(g) + frames(g): a replica at the end of g continues with g+1's frames
    assert store.base(second) == replay(image(1), store.frames(first, 1, 129)) == image(2, 3)
    store.publish([([(1, page(4))], 2), ([(1, page(5))], 2)], Cursor("log", 5))
    store.rotate_if_full(policy)
    assert sorted(store.counts) == [second, second + 1] and store.oldest == second
    assert not (tmp_path / "db" / f"gen-{first}").exists()
    gone = _frames(store, first, 1, 129)
    assert gone.startswith(b"HTTP/1.1 410 ") and b"no longer kept" in gone
    end = _frames(store, second, 3, 131)  # one past its last frame: the end of the generation
    assert end.startswith(b"HTTP/1.1 400 ")
    assert json.loads(end.split(b"\r\n\r\n", 1)[1]) == {"generation": second + 1}
    ahead = _frames(store, second, 4, 132)
    assert ahead.startswith(b"HTTP/1.1 409 ") and b"never had" in ahead
    assert _frames(store, second + 5, 1, 129).startswith(b"HTTP/1.1 409 ")
    ok = _frames(store, second, 2, 130)
    assert ok.startswith(b"HTTP/1.1 200 ") and ok.endswith(store.frames(second, 2, 3))


def test_a_reopened_store_has_the_same_generations_and_mirror(tmp_path: Path) -> None:
    store = GenerationStore.create(tmp_path / "db", image(1, 1), Cursor("log", 2))
    store.publish([([(2, page(5)), (3, page(6))], 3)], Cursor("log", 4))
    again = GenerationStore.open(tmp_path / "db")
    assert again is not None
    assert (again.current, again.counts, again.cursor) == (
        store.current,
        store.counts,
        store.cursor,
    )
    assert again.mirror == store.mirror
    assert GenerationStore.open(tmp_path / "none") is None


def test_frames_a_crash_appended_but_never_named_are_cut_off(tmp_path: Path) -> None:
    store = GenerationStore.create(tmp_path / "db", image(1), Cursor("log", 1))
    store.publish([([(1, page(2))], 1)], Cursor("log", 2))
    frames = tmp_path / "db" / f"gen-{store.current}" / "frames.bin"
    with frames.open("ab") as fh:
        fh.write(b"\x00" * (V2_FRAME + 100))  # appended, then the process died before meta.json
    again = GenerationStore.open(tmp_path / "db")
    assert again is not None and again.frame_count(again.current) == 1
    assert frames.stat().st_size == V2_FRAME and again.mirror == bytearray(page(2))


def test_a_damaged_meta_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / META).write_text("{not json")
    with pytest.raises(StoreError, match=r"meta\.json: not a sync store"):
        GenerationStore.open(tmp_path / "db")
    (tmp_path / "db" / META).write_text(json.dumps({"format": 99}))
    with pytest.raises(StoreError, match="format 99"):
        GenerationStore.open(tmp_path / "db")


def test_files_are_private(tmp_path: Path) -> None:
    store = GenerationStore.create(tmp_path / "syncv2" / "db", image(1), Cursor("log", 1))
    store.publish([([(1, page(2))], 1)], Cursor("log", 2))
    store.rotate(Policy())
    for path in [tmp_path / "syncv2", *(tmp_path / "syncv2").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_diff_and_apply_cover_growth_and_truncation() -> None:
    old = image(1, 2, 3)
    new = image(1, 9)
    assert diff(old, new) == [(2, page(9))]
    grown = bytearray(old)
    apply(grown, [(5, page(5))], 5)
    assert grown == bytearray(image(1, 2, 3, 0, 5))
    apply(grown, [(1, page(8))], 2)
    assert grown == bytearray(image(8, 2))


def test_an_exported_base_is_a_database_sqlite_opens(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA page_size = 4096")
        db.execute("CREATE TABLE t(x)")
        db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500)])
    db.close()
    store = GenerationStore.create(tmp_path / "db", source.read_bytes(), Cursor("log", 1))
    out = tmp_path / "export.db"
    out.write_bytes(store.base(store.current) or b"")
    with sqlite3.connect(out) as db:
        assert db.execute("SELECT count(*) FROM t").fetchone() == (500,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_generation_numbers_are_never_used_twice_in_a_root(tmp_path: Path) -> None:
    root = tmp_path / "syncv2"
    store = GenerationStore.create(root / "a", image(1), Cursor("log", 1))
    first = store.current
    store.publish([([(1, page(2))], 1)], Cursor("log", 2))
    store.rotate(Policy())
    store.rotate(Policy())  # a busy store runs ahead of the clock
    assert store.current == first + 2
    assert int((root / COUNTER).read_text()) == first + 2
    shutil.rmtree(root / "a")  # the database deleted; one of its name made in the same second
    again = GenerationStore.create(root / "a", image(3), Cursor("other", 1))
    assert again.current == first + 3
    assert claim_generation(root, now=1.0) == first + 4  # a clock stepped back changes nothing
    (root / COUNTER).unlink()  # a store from before the counter raises it when it is opened
    GenerationStore.open(root / "a")
    assert int((root / COUNTER).read_text()) == first + 3


def test_retention_keeps_fewer_generations_when_they_are_large(tmp_path: Path) -> None:
    policy = Policy(keep=8, keep_bytes=3 * PAGE_SIZE)
    assert policy.kept([(1, 10), (2, 10), (3, 10)]) == [1, 2, 3]
    assert policy.kept([(g, PAGE_SIZE) for g in range(1, 6)]) == [3, 4, 5]
    assert policy.kept([(g, 100 * PAGE_SIZE) for g in range(1, 6)]) == [4, 5]  # never under two
    assert Policy(keep=3).kept([(g, 1) for g in range(1, 9)]) == [6, 7, 8]
    store = GenerationStore.create(tmp_path / "db", image(1, 2), Cursor("log", 1))
    for fill in range(3, 7):
        store.publish([([(1, page(fill))], 2)], Cursor("log", fill))
        store.rotate(policy)
    assert (
        len(store.counts) == 2
    )  # each generation is a 2-page base and one frame: 3 pages > the bound
    assert sorted(p.name for p in (tmp_path / "db").glob("gen-*")) == [
        f"gen-{g}" for g in sorted(store.counts)
    ]


def test_an_open_base_stays_readable_after_its_generation_is_pruned(tmp_path: Path) -> None:
    store = GenerationStore.create(tmp_path / "db", image(1, 2), Cursor("log", 1))
    g = store.current
    opened = store.open_base(g)
    assert opened is not None and store.open_base(g + 5) is None
    fh, size = opened
    with fh:
        for fill in (3, 4):
            store.publish([([(1, page(fill))], 2)], Cursor("log", fill))
            store.rotate(Policy(keep=1))
        assert g not in store.counts and not (tmp_path / "db" / f"gen-{g}").exists()
        assert size == 2 * PAGE_SIZE and fh.read() == image(1, 2)

"""StateStore.peek: a console's start learns the org's slug and whether it has databases from state.json's top
lines (an org of 10,000 is not parsed for them), and says so only when that is exactly what load() says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tursotui.local.control.state import (
    JOURNAL_FROM,
    DatabaseState,
    GroupState,
    OrgState,
    StateStore,
)


def saved(directory: Path, databases: int, slug: str = "local") -> StateStore:
    store = StateStore(directory)
    state = OrgState(slug=slug)
    state.groups["g"] = GroupState("g", "sjc", ["sjc"])
    for n in range(databases):
        state.databases[f"db{n}"] = DatabaseState(f"db{n}", "g", 20_000 + n)
    store.save(state)
    return store


@pytest.mark.parametrize("databases", [0, 1, 3])
@pytest.mark.parametrize("slug", ["local", "acme-prod", 'odd "quoted" slug'])
def test_peek_says_what_load_says(tmp_path: Path, databases: int, slug: str) -> None:
    store = saved(tmp_path, databases, slug)
    state = StateStore(tmp_path).load()
    assert store.peek() == (state.slug, bool(state.databases)) == (slug, databases > 0)


def test_nothing_to_peek_at_is_none(tmp_path: Path) -> None:
    assert StateStore(tmp_path).peek() is None  # no state.json: load() makes a new org


def test_a_journal_to_replay_leaves_it_to_load(tmp_path: Path) -> None:
    store = saved(tmp_path, JOURNAL_FROM + 2)
    state = store.load()
    del state.databases["db0"]
    store.save(state, ["db0"])  # journaled: state.json alone is no longer the whole story
    assert (tmp_path / "state.journal").exists()
    assert StateStore(tmp_path).peek() is None


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace('"version": 1', '"version": 2'),
        lambda text: text.replace('\n  "slug": ', '\n  "slug_": '),
        lambda text: text.replace('"databases": {\n', '"databases":{'),
        lambda text: "{}",
        lambda text: text[: len(text) // 2],
    ],
    ids=["other-version", "no-slug", "other-layout", "empty-object", "cut"],
)
def test_a_file_not_in_the_layout_leaves_it_to_load(tmp_path: Path, edit: object) -> None:
    saved(tmp_path, 2)
    path = tmp_path / "state.json"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    assert StateStore(tmp_path).peek() is None

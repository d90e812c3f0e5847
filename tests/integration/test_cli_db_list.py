"""``tursotui db list`` on the local Turso (real sqld), which pages its list by ``limit``/``cursor``: an org of
two dozen databases in two groups, listed with a small page size so every listing spans several pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fixtures.cli import Env, fill, local_env, run
from fixtures.local_turso import started_org

pytestmark = pytest.mark.sqld

TENANTS = [f"t{i:02d}" for i in range(18)]
EUROPE = [f"eu{i:02d}" for i in range(6)]
WRITES = {"t05": 30, "t11": 12, "eu02": 5}
"""Rows written into a few databases (their usage this period); with a table they are also the largest."""


async def _seed(directory: Path, binary: Path) -> None:
    databases = [(n, "tenants") for n in TENANTS] + [(n, "europe") for n in EUROPE]
    async with started_org(
        directory, binary, groups={"tenants": ["sjc"], "europe": ["fra"]}, databases=databases
    ) as turso:
        for name, rows in WRITES.items():
            await fill(
                turso,
                name,
                [
                    "create table t(x integer)",
                    *[("insert into t values (?)", [i]) for i in range(rows)],
                ],
            )


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


def test_json_lines_page_by_page_filter_group_limit(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    everything = run(env, capsys, "db", "list", "--json", "--page-size", "5")
    assert everything.code == 0, everything.err
    names = [d["name"] for d in everything.databases()]
    assert names == sorted(EUROPE + TENANTS)  # the local Turso's order: by name
    summary = everything.lines()[-1]["summary"]
    assert summary["listed"] == summary["shown"] == 24 and summary["pages"] == 5
    assert summary["read_all"] is True and summary["organization"] == "local"

    europe = run(env, capsys, "db", "list", "--json", "--page-size", "4", "--group", "europe")
    assert [d["name"] for d in europe.databases()] == EUROPE
    assert europe.lines()[-1]["summary"]["pages"] == 2

    filtered = run(
        env, capsys, "db", "list", "--json", "--page-size", "5", "--filter", "loc:fra -eu03 eu0"
    )
    assert [d["name"] for d in filtered.databases()] == ["eu00", "eu01", "eu02", "eu04", "eu05"]
    assert filtered.lines()[-1]["summary"]["matched"] == 5

    limited = run(env, capsys, "db", "list", "--json", "--page-size", "5", "--limit", "7")
    assert [d["name"] for d in limited.databases()] == sorted(EUROPE + TENANTS)[:7]
    assert (
        limited.lines()[-1]["summary"] | {"pages": 2, "read_all": False}
        == limited.lines()[-1]["summary"]
    )


def test_sort_by_size_rows_written_and_name_and_the_table(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    top = run(env, capsys, "db", "list", "--json", "--page-size", "5", "--sort", "size")
    assert top.code == 0, top.err
    rows = top.databases()
    sizes = [d["usage"]["storage_bytes"] for d in rows]
    assert len(rows) == 24 and sizes == sorted(sizes, reverse=True)
    # the three with a table are the largest; equal sizes keep the names' order
    assert [d["name"] for d in rows[:3]] == sorted(WRITES) and sizes[2] > sizes[3]
    assert top.lines()[-1]["summary"]["sort"] == "size"

    two = run(
        env, capsys, "db", "list", "--json", "--page-size", "3", "--sort", "size", "--limit", "2"
    )
    assert [d["name"] for d in two.databases()] == sorted(WRITES)[:2]

    written = run(
        env,
        capsys,
        "db",
        "list",
        "--json",
        "--sort",
        "rows-written",
        "--limit",
        "3",
        "--page-size",
        "7",
    )
    rows = written.databases()
    assert [d["name"] for d in rows] == ["t05", "t11", "eu02"]  # 30, 12 and 5 rows written
    assert (
        rows[0]["usage"]["rows_written"]
        > rows[1]["usage"]["rows_written"]
        > rows[2]["usage"]["rows_written"]
    )

    by_name = run(
        env,
        capsys,
        "db",
        "list",
        "--json",
        "--page-size",
        "5",
        "--sort",
        "name",
        "--group",
        "tenants",
    )
    assert [d["name"] for d in by_name.databases()] == TENANTS

    table = run(
        env, capsys, "db", "list", "--page-size", "5", "--sort", "size", "--filter", "group:=europe"
    )
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "GROUP", "PRIMARY", "URL", "FLAGS"]
    assert lines[1].split()[0] == "eu02"  # a table was made in it: the largest of its group
    assert sorted(line.split()[0] for line in lines[1:-1]) == EUROPE
    assert lines[-1] == "6 of 24 databases · 6 match 'group:=europe' · sorted by size · 5 pages"

    plain = run(env, capsys, "db", "list", "--page-size", "5", "--filter", "nothing-like-this")
    assert plain.code == 0
    assert plain.out.strip() == "no database of the 24 listed matches 'nothing-like-this'"

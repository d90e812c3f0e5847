"""``tursotui db shell`` end to end, in-process against the local Turso on real sqld: SQL from the argument,
a script from stdin on one stream (BEGIN … COMMIT honoured), --json as one document, exit 1 naming the first
failed statement (position and line) with its transaction rolled back, and bad input refused with exit 2."""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path

import pytest
from fixtures.cli import Env, fill, local_env, run
from fixtures.local_turso import started_org


async def _seed(directory: Path, binary: Path) -> None:
    async with started_org(
        directory, binary, groups={"default": ["sjc"]}, databases=[("app", "default")]
    ) as turso:
        await fill(
            turso,
            "app",
            [
                "create table users(id integer primary key, email text)",
                *[("insert into users(email) values (?)", [f"u{i}@e"]) for i in range(30)],
            ],
        )


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_argument_runs_and_prints_a_table(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    done = run(env, capsys, "db", "shell", "app", "SELECT count(*) AS n, max(id) AS top FROM users")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0].split() == ["n", "top"] and lines[1].split() == ["30", "30"]
    assert "1. SELECT count(*) AS n" in done.err and "1 row" in done.err


def test_script_from_stdin_is_one_stream_with_its_transaction(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(
        monkeypatch,
        "-- a migration\n"
        "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, score REAL, raw BLOB);\n"
        "PRAGMA foreign_keys = ON;\n"
        "BEGIN;\n"
        "INSERT INTO notes(body, score, raw) VALUES ('one; not a cut', 1.5, x'00ff');\n"
        "INSERT INTO notes(body) VALUES (NULL);\n"
        "SELECT count(*) FROM notes;\n"
        "COMMIT;\n"
        "PRAGMA foreign_keys;\n",
    )
    done = run(env, capsys, "db", "shell", "app", "--json")
    assert done.code == 0, done.err
    body = done.json()
    assert body["ok"] is True and body["database"] == "app" and "error" not in body
    statements = body["statements"]
    assert [s["line"] for s in statements] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert statements[3]["affected_row_count"] == 1 and statements[3]["last_insert_rowid"] == 1
    assert statements[5]["rows"] == [[2]], "the transaction's own rows are seen inside it"
    assert statements[7]["rows"] == [[1]], "the PRAGMA held for the rest of the script"

    rows = run(env, capsys, "db", "shell", "app", "SELECT body, score, raw FROM notes", "--json")
    assert rows.json()["statements"][0]["rows"] == [
        ["one; not a cut", 1.5, {"base64": base64.b64encode(b"\x00\xff").decode()}],
        [None, None, None],
    ]


def test_first_failure_exits_1_naming_the_statement_and_rolls_back(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(
        monkeypatch,
        "CREATE TABLE tags(name TEXT NOT NULL);\n\n"
        "BEGIN;\n"
        "INSERT INTO tags VALUES ('kept?');\n"
        "INSERT INTO tags\n  VALUES (NULL);\n"
        "INSERT INTO tags VALUES ('never');\n"
        "COMMIT;\n",
    )
    failed = run(env, capsys, "db", "shell", "app")
    assert failed.code == 1
    assert "statement 4 of 6 (line 5) failed: INSERT INTO tags VALUES (NULL)" in failed.err
    assert "NOT NULL constraint failed" in failed.err
    assert "the open transaction was rolled back" in failed.err
    count = run(env, capsys, "db", "shell", "--json", "app", "SELECT count(*) FROM tags")
    assert count.json()["statements"][0]["rows"] == [[0]]

    as_json = run(env, capsys, "db", "shell", "app", "SELECT 1; SELECT nope FROM tags", "--json")
    assert as_json.code == 1
    body = as_json.json()  # one document, the error in it
    assert body["ok"] is False and body["error"]["index"] == 2 and body["error"]["line"] == 1
    assert "no such column: nope" in body["error"]["message"]
    assert [s["ok"] for s in body["statements"]] == [True, False]


def test_script_ending_inside_a_transaction_is_rolled_back_and_fails(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, "BEGIN;\nDELETE FROM users;\n")
    done = run(env, capsys, "db", "shell", "app")
    assert done.code == 1
    assert "ended inside a transaction" in done.err and "rolled back" in done.err
    count = run(env, capsys, "db", "shell", "app", "SELECT count(*) FROM users")
    assert count.out.splitlines()[1].strip() == "30"


def test_bad_input_is_refused_before_anything_runs(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, "-- only a comment\n")
    empty = run(env, capsys, "db", "shell", "app")
    assert empty.code == 2 and "no SQL statement given" in empty.err
    missing = run(env, capsys, "db", "shell", "nope", "SELECT 1")
    assert missing.code == 1 and "nope" in missing.err

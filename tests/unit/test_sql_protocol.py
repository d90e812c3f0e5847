"""The SQL console's pieces without a server: statements split with their lines (triggers, strings,
comments), result metadata read leniently (D19), ``turso://`` read as the official drivers read it (D21),
the D20 guard's shape (and its removal for Hrana 2), the cursor fold with its row cap, and a session's
answers to RESPONSE_TOO_LARGE and a dropped stream over a scripted Hrana endpoint."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from turso_serverless.session import normalize_url

from tursotui.libsql import HranaClient, ResultSet, parse_database_url
from tursotui.libsql.protocol import (
    IN_TRANSACTION,
    CursorFold,
    guarded_steps,
    without_v3_conditions,
)
from tursotui.ops.sql.outcome import StatementOutcome
from tursotui.ops.sql.session import REOPENED, SqlSession
from tursotui.ops.sql.statements import split_with_lines


def test_split_keeps_trigger_bodies_strings_and_comments_whole() -> None:
    text = (
        "-- header\n"
        "CREATE TABLE a(x);\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  INSERT INTO log VALUES ('a; b');\n"
        "  UPDATE a SET x = CASE WHEN x > 0 THEN 1 ELSE 0 END;\n"
        "END;\n"
        "/* block; comment */ BEGIN TRANSACTION;\n"
        "INSERT INTO a VALUES (';'); COMMIT\n"
    )
    found = split_with_lines(text)
    assert [line for _, line in found] == [2, 3, 7, 8, 8]
    assert found[1][0].startswith("CREATE TRIGGER") and found[1][0].endswith("END;")
    assert found[2][0] == "/* block; comment */ BEGIN TRANSACTION;"
    assert found[3][0] == "INSERT INTO a VALUES (';');" and found[4][0] == "COMMIT"


def test_split_ignores_empty_statements_and_lone_comments() -> None:
    assert split_with_lines(";;\n  ; -- nothing\n/* x */") == []
    assert split_with_lines("\n\n  SELECT 1") == [("SELECT 1", 3)]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("replication_index", "3345", 3345),
        ("replication_index", "2026-12-05T10:00:00Z", None),
        ("replication_index", 17, 17),
        ("rows_read", "12", 12),
        ("rows_read", "many", None),
        ("rows_written", [1], None),
        ("last_insert_rowid", "9007199254740993", 9007199254740993),
        ("last_insert_rowid", {"x": 1}, None),
        ("query_duration_ms", "0.25", 0.25),
        ("query_duration_ms", "fast", None),
        ("query_duration_ms", float("nan"), None),
    ],
)
def test_optional_metadata_never_fails_a_query(field: str, value: Any, expected: Any) -> None:
    result = ResultSet.from_hrana({"cols": [], "rows": [], field: value})
    assert getattr(result, field) == expected


def test_affected_row_count_unreadable_is_zero() -> None:
    assert ResultSet.from_hrana({"affected_row_count": "n/a"}).affected_row_count == 0
    assert ResultSet.from_hrana({"affected_row_count": "3"}).affected_row_count == 3


@pytest.mark.parametrize(
    "url",
    [
        "turso://shop-acme.aws-us-east-1.turso.io",
        "turso://shop-acme.turso.io/",
        "libsql://shop-acme.turso.io",
        "https://shop-acme.turso.io",
    ],
)
def test_turso_scheme_is_read_as_the_official_drivers_read_it(url: str) -> None:
    assert parse_database_url(url).base_url == normalize_url(url)


def test_turso_scheme_keeps_a_token_in_the_url_out_of_the_base_url() -> None:
    parsed = parse_database_url("turso://db.example?authToken=abc")
    assert parsed.base_url == "https://db.example" and parsed.auth_token == "abc"


def test_guarded_steps_have_the_official_clients_shape() -> None:
    steps = guarded_steps(["INSERT 1", "INSERT 2"], guard=True)
    assert (
        steps[0]["condition"]
        == IN_TRANSACTION
        == {"type": "not", "cond": {"type": "is_autocommit"}}
    )
    assert steps[1]["condition"] == {
        "type": "and",
        "conds": [{"type": "ok", "step": 0}, IN_TRANSACTION],
    }
    assert "condition" not in guarded_steps(["SELECT 1"], guard=False)[0]


def test_guards_are_taken_out_for_a_hrana_2_server() -> None:
    steps = guarded_steps(["a", "b"], guard=True)
    requests = [{"type": "batch", "batch": {"steps": steps}}, {"type": "close"}]
    stripped = without_v3_conditions(requests)
    assert "condition" not in stripped[0]["batch"]["steps"][0]
    assert stripped[0]["batch"]["steps"][1]["condition"] == {"type": "ok", "step": 0}
    assert stripped[1] == {"type": "close"}
    assert "is_autocommit" in json.dumps(requests), "the original is left as it was"


def test_cursor_fold_keeps_the_cap_and_counts_on() -> None:
    fold = CursorFold(max_rows=2, stop_after=4)
    fold.feed({"type": "step_begin", "step": 0, "cols": [{"name": "x", "decltype": "INTEGER"}]})
    row = {"type": "row", "row": [{"type": "integer", "value": "7"}]}
    assert fold.feed(row) and fold.feed(row) and fold.feed(row)
    assert not fold.feed(row), "the fourth row stops the reading"
    assert fold.rows == [(7,), (7,)] and fold.seen == 4 and fold.columns == ("x",)
    assert fold.decltypes == ("INTEGER",) and not fold.ended


def test_cursor_fold_reads_the_autocommit_probe_and_errors() -> None:
    fold = CursorFold(max_rows=10, stop_after=100)
    fold.feed({"type": "step_error", "step": 0, "error": {"message": "boom", "code": "X"}})
    fold.feed({"type": "step_begin", "step": 1, "cols": []})
    fold.feed({"type": "replication_index", "replication_index": 3})
    assert fold.error is not None and fold.error.message == "boom" and fold.probe_ran


class Scripted:
    """A Hrana endpoint answering each pipeline from a list of (status, body) in order."""

    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        status, body = self.answers.pop(0)
        return httpx.Response(status, json=body)

    def client(self) -> HranaClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
        return HranaClient("https://db.example", "secret-token-value", http=http)


def ok_step(autocommit: bool, baton: str = "b") -> tuple[int, dict[str, Any]]:
    step = {"cols": [], "rows": [], "affected_row_count": 1, "query_duration_ms": 0.5}
    batch = {"type": "batch", "result": {"step_results": [step], "step_errors": [None]}}
    auto = {"type": "get_autocommit", "is_autocommit": autocommit}
    results = [{"type": "ok", "response": batch}, {"type": "ok", "response": auto}]
    return 200, {"baton": baton, "results": results}


async def test_a_write_too_large_to_answer_is_not_run_again() -> None:
    error = {"message": "Response is too large", "code": "RESPONSE_TOO_LARGE"}
    auto = {"type": "ok", "response": {"type": "get_autocommit", "is_autocommit": True}}
    fake = Scripted((200, {"baton": "b", "results": [{"type": "error", "error": error}, auto]}))
    outcome = StatementOutcome("UPDATE t SET x = 1 RETURNING *")
    session = SqlSession(fake.client())
    await session.run(outcome)
    assert outcome.code == "RESPONSE_TOO_LARGE" and "10 MB response limit" in (outcome.error or "")
    assert len(fake.bodies) == 1, "no second attempt through the cursor for a write"


async def test_an_expired_stream_outside_a_transaction_is_reopened_and_noted() -> None:
    expired = {"message": "The stream has expired due to inactivity", "code": "STREAM_EXPIRED"}
    fake = Scripted(ok_step(True, "b1"), (400, expired), ok_step(True, "b2"))
    session = SqlSession(fake.client())
    first, second = StatementOutcome("PRAGMA foreign_keys = ON"), StatementOutcome("INSERT 1")
    await session.run(first)
    await session.run(second)
    assert second.error is None and second.duration_ms == 0.5
    assert session.notes == [REOPENED]
    assert [b["baton"] for b in fake.bodies] == [None, "b1", None], "sent again on a new stream"

"""``tursotui db shell``'s command line without a server: NAME and SQL, --max-rows checked by argparse with
a message naming the option, the help saying what NAME is and what --json prints, no SQL on a terminal
refused with a hint, and the per-statement JSON shape (blobs in base64, the cap stated)."""

from __future__ import annotations

import argparse
import io

import pytest

from tursotui.cli.parser import build_parser
from tursotui.cli.shell import _json, _script
from tursotui.ops.errors import InputError
from tursotui.ops.sql.outcome import StatementOutcome


def test_name_sql_and_options() -> None:
    args = build_parser().parse_args(
        ["db", "shell", "app", "SELECT 1", "--max-rows", "5", "--json"]
    )
    assert (args.db_command, args.name, args.sql, args.max_rows, args.json) == (
        "shell",
        "app",
        "SELECT 1",
        5,
        True,
    )
    script = build_parser().parse_args(["db", "shell", "app"])
    assert script.sql is None and script.max_rows == 10_000


@pytest.mark.parametrize(("value", "said"), [("0", "at least 1"), ("lots", "whole number")])
def test_max_rows_is_checked(value: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["db", "shell", "app", "SELECT 1", "--max-rows", value])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--max-rows" in err and said in err


def test_help_names_the_database_rule_and_the_json_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["db", "shell", "--help"])
    out = capsys.readouterr().out
    assert "NAME is required" in out and "one document" in out and "Exit codes" in out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_sql_on_a_terminal_is_refused_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Tty(""))
    ctx = argparse.Namespace(args=argparse.Namespace(sql=None, name="app"))
    with pytest.raises(InputError, match=r"pipe a script on stdin \(tursotui db shell app <"):
        _script(ctx)  # type: ignore[arg-type]
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT 2;"))
    assert _script(ctx) == "SELECT 2;"  # type: ignore[arg-type]


def test_statement_json_shape() -> None:
    ok = StatementOutcome(
        "SELECT b FROM t",
        ("b",),
        [(b"\x01",), (None,)],
        rows_read=2,
        rows_written=0,
        line=3,
        total_rows=5,
        duration_ms=0.25,
    )
    body = _json(2, ok)
    assert body["rows"] == [[{"base64": "AQ=="}], [None]]
    assert (body["rows_total"], body["capped"], body["line"], body["index"]) == (5, True, 3, 2)
    failed = _json(1, StatementOutcome("SELECT x", error="no such column: x", line=1))
    assert failed == {
        "index": 1,
        "line": 1,
        "sql": "SELECT x",
        "ok": False,
        "error": "no such column: x",
        "code": None,
    }

"""``tursotui db shell NAME [SQL]``: the scriptable form of ``turso db shell``.

The SQL comes from the argument (one statement, or several separated by ``;``) or, without it, from stdin
(a script: ``tursotui db shell app < migrate.sql``). Every statement runs in order on ONE stream, so
``BEGIN … COMMIT`` is one transaction and a PRAGMA holds for the rest of the script (see
:mod:`tursotui.ops.sql.session`). The first failed statement stops the script with exit code 1, naming the
statement, its position and its line; an open transaction is then rolled back, as it is when the script
ends without COMMIT (also exit 1). Text output: a table per statement that returns rows (stdout), one
line of counts per statement (stderr). ``--json``: ONE document on stdout for the whole script (its
``statements`` array, one object per statement run, and ``error`` when one failed).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tursotui.cli.context import FAILED, OK, Context
from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.sql.outcome import ROW_CAP, StatementOutcome, cell, short

EPILOG = """\
NAME is required (a script never runs against a database it did not name): a database of the
organization of the configured target (the local Turso by default). Its token is the session's, as for backup.

Examples:
  tursotui db shell app "SELECT count(*) FROM users"
  tursotui db shell app < migrate.sql          (BEGIN … COMMIT in it is one transaction)
  tursotui db shell app "SELECT * FROM users LIMIT 5" --json
(options go before NAME or after SQL, not between them)

--json prints one document: {"database", "ok", "statements": [{"index", "line", "sql", "columns",
"rows", "rows_total", "capped", "affected_row_count", "last_insert_rowid", "rows_read",
"rows_written", "duration_ms"}], "notes", "error"?}. Blobs are {"base64": ...}.
Exit codes: 0 every statement ran; 1 a statement failed (named on stderr, and in "error"),
or the script ended inside a transaction (rolled back); 2 bad input."""


def add_arguments(actions: Any, common: argparse.ArgumentParser) -> None:
    shell = actions.add_parser(
        "shell",
        parents=[common],
        help="run SQL from the argument or a script from stdin, on one stream",
        description="Run SQL on a database: one statement from the argument, or a script from stdin.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    shell.add_argument("name", metavar="NAME", help="the database")
    shell.add_argument(
        "sql",
        metavar="SQL",
        nargs="?",
        help="the SQL to run; without it, a script is read from stdin",
    )
    shell.add_argument(
        "--max-rows",
        type=_row_cap,
        default=ROW_CAP,
        metavar="N",
        help=f"rows kept per statement (default {ROW_CAP:,}); more are counted, not printed",
    )


def _row_cap(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--max-rows takes a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--max-rows must be at least 1, not {value}")
    return value


def _script(ctx: Context) -> str:
    if ctx.args.sql is not None:
        return str(ctx.args.sql)
    if sys.stdin.isatty():
        raise InputError(
            "no SQL given: pass it as an argument, or pipe a script on stdin "
            f"(tursotui db shell {ctx.args.name} < script.sql)"
        )
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise InputError(f"the script on stdin is not UTF-8 text ({exc.reason})") from None


async def shell_command(ctx: Context) -> int:
    # Imported here: every `db` action declares its arguments, and `db list` needs none of this.
    from tursotui.ops.access import open_database
    from tursotui.ops.sql.session import ENDED_IN_TRANSACTION, SqlSession
    from tursotui.ops.sql.statements import split_with_lines
    from tursotui.ops.tokens import TokenLedger

    name = check_name(ctx.args.name)
    statements = split_with_lines(_script(ctx))
    if not statements:
        raise InputError("no SQL statement given (the input is empty or only comments)")
    outcomes: list[StatementOutcome] = []
    async with (
        ctx.backend() as backend,
        open_database(
            backend.platform,
            name,
            read_only=ctx.settings.read_only,
            ledger=TokenLedger.in_data_dir(ctx.settings.data_dir),
            target=backend.target,
        ) as access,
    ):
        ctx.add_secret(access.token)
        async with SqlSession(
            access.client, row_cap=ctx.args.max_rows, read_only=ctx.settings.read_only
        ) as session:
            for index, (sql, line) in enumerate(statements, 1):
                outcome = StatementOutcome(sql, line=line)
                outcomes.append(outcome)
                await session.run(outcome)
                _show(ctx, index, outcome)
                if outcome.error is not None:
                    break
    failed = next((i for i, o in enumerate(outcomes, 1) if o.error is not None), None)
    ended_open = ENDED_IN_TRANSACTION in session.notes
    for note in session.notes:
        ctx.info(f"note: {note}")
    error: dict[str, Any] | None = None
    if failed is not None:
        bad = outcomes[failed - 1]
        message = (
            f"statement {failed} of {len(statements)} (line {bad.line}) failed: "
            f"{short(bad.sql, 60)}: {bad.error}"
        )
        if ended_open:
            message += " (the open transaction was rolled back)"
        error = {"index": failed, "line": bad.line, "sql": bad.sql, "message": bad.error}
        error |= {"code": bad.code}
    elif ended_open:
        message = "the script ended inside a transaction (BEGIN without COMMIT): it was rolled back"
        error = {"index": None, "line": None, "sql": None, "message": message, "code": None}
    ctx.emit(
        {
            "database": name,
            "ok": error is None,
            "statements": [_json(i, o) for i, o in enumerate(outcomes, 1)],
            "notes": session.notes,
        }
        | ({"error": error} if error is not None else {})
    )
    if error is None:
        return OK
    if ctx.json:  # one document on stdout: the error is in it; the line goes to stderr
        ctx.info(f"tursotui: {message}")
        return FAILED
    return ctx.fail(message, FAILED)


def _show(ctx: Context, index: int, outcome: StatementOutcome) -> None:
    """The statement's rows as a table (stdout) and its counts (stderr), in text mode."""
    if ctx.json:
        return
    if outcome.error is None and outcome.columns:
        ctx.table(list(outcome.columns), ([cell(v) for v in row] for row in outcome.rows))
        if outcome.capped:
            ctx.info(
                f"note: statement {index} returned {outcome.rows_text.removeprefix('the first ')};"
                " raise --max-rows to print more"
            )
    if outcome.error is None:
        ctx.info(f"-- {outcome.summary(index)}")


def _json(index: int, outcome: StatementOutcome) -> dict[str, Any]:
    from tursotui.ops.sql.export import json_value

    body: dict[str, Any] = {
        "index": index,
        "line": outcome.line,
        "sql": outcome.sql,
        "ok": outcome.error is None,
    }
    if outcome.error is not None:
        return body | {"error": outcome.error, "code": outcome.code}
    return body | {
        "columns": list(outcome.columns),
        "rows": [[json_value(v) for v in row] for row in outcome.rows],
        "rows_total": outcome.total_rows if outcome.total_rows is not None else len(outcome.rows),
        "capped": outcome.capped,
        "affected_row_count": outcome.affected,
        "last_insert_rowid": outcome.last_insert_rowid,
        "rows_read": outcome.rows_read,
        "rows_written": outcome.rows_written,
        "duration_ms": outcome.duration_ms,
    }

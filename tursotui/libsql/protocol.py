"""Hrana stream requests and their results (shared by one-shot calls, streams, transactions).

A pipeline is ``{"baton": ..., "requests": [...]}``; each request gets one result, ``ok`` or
``error``, and an error in one request does not stop the following ones (so a trailing
``close`` always runs). A batch runs steps on the server with conditions: a step whose
condition is false is skipped (no result, no error).

Inside a transaction, Hrana 3 steps are guarded as @libsql/client guards them (D20): each runs
only if the previous one succeeded AND the connection is still in a transaction
(``not(is_autocommit)``), so nothing runs outside a transaction the server already rolled back
(a lock-steal after TRANSACTION_TIMEOUT, an ``OR ROLLBACK`` conflict). Hrana 2 has no
``is_autocommit``: :func:`without_v3_conditions` takes the guards out for a v2 server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tursotui.libsql.errors import HranaError, ProtocolError, error_from_hrana
from tursotui.libsql.result import Description, ResultSet, StatementLike, as_statement
from tursotui.libsql.values import Args, JsonDict, decode_value, encode_stmt

CLOSE: JsonDict = {"type": "close"}
GET_AUTOCOMMIT: JsonDict = {"type": "get_autocommit"}
IN_TRANSACTION: JsonDict = {"type": "not", "cond": {"type": "is_autocommit"}}
"""The Hrana 3 condition "the connection is inside a transaction"."""
TRANSACTION_CLOSED = "TRANSACTION_CLOSED"
"""Our code (as @libsql/client's) for a guarded step the server skipped: no transaction was open."""

BEGIN_SQL = {
    "deferred": "BEGIN DEFERRED",
    "immediate": "BEGIN IMMEDIATE",
    "exclusive": "BEGIN EXCLUSIVE",
}

Secrets = tuple[str | None, ...]


def execute_request(sql: str, args: Args | None = None) -> JsonDict:
    return {"type": "execute", "stmt": encode_stmt(sql, args)}


def sequence_request(sql: str) -> JsonDict:
    if not isinstance(sql, str):
        raise TypeError(f"SQL must be a str, not {type(sql).__name__}")
    return {"type": "sequence", "sql": sql}


def describe_request(sql: str) -> JsonDict:
    if not isinstance(sql, str):
        raise TypeError(f"SQL must be a str, not {type(sql).__name__}")
    return {"type": "describe", "sql": sql}


def ok_cond(step: int) -> JsonDict:
    return {"type": "ok", "step": step}


def all_of(*conds: JsonDict | None) -> JsonDict | None:
    """The conjunction of the given conditions (None ones left out); None when there is none."""
    present = [c for c in conds if c is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"type": "and", "conds": present}


def without_v3_conditions(requests: list[JsonDict]) -> list[JsonDict]:
    """``requests`` for a Hrana 2 server: ``is_autocommit`` guards taken out of batch conditions.

    Only the guards this module adds are removed (``and`` of a condition and
    :data:`IN_TRANSACTION`, or :data:`IN_TRANSACTION` alone)."""
    out: list[JsonDict] = []
    for request in requests:
        if request.get("type") != "batch":
            out.append(request)
            continue
        steps = []
        for step in request["batch"]["steps"]:
            cond = _strip_guard(step.get("condition"))
            steps.append(
                {k: v for k, v in step.items() if k != "condition"}
                | ({"condition": cond} if cond is not None else {})
            )
        out.append({**request, "batch": {**request["batch"], "steps": steps}})
    return out


def _strip_guard(cond: Any) -> Any:
    if cond == IN_TRANSACTION:
        return None
    if isinstance(cond, dict) and cond.get("type") == "and":
        kept = [c for c in cond.get("conds") or [] if c != IN_TRANSACTION]
        return all_of(*kept)
    return cond


def guarded_steps(statements: Sequence[StatementLike], *, guard: bool) -> list[JsonDict]:
    """Batch steps each running only if the previous one succeeded, and (``guard``) only inside a
    transaction."""
    steps: list[JsonDict] = []
    for index, item in enumerate(statements):
        statement = as_statement(item)
        step: JsonDict = {"stmt": encode_stmt(statement.sql, statement.args)}
        cond = all_of(ok_cond(index - 1) if index > 0 else None, IN_TRANSACTION if guard else None)
        if cond is not None:
            step["condition"] = cond
        steps.append(step)
    return steps


def skipped_in_transaction(index: int) -> HranaError:
    """The error of a guarded statement the server skipped: the transaction was already gone."""
    return HranaError(
        f"statement {index + 1} was not executed: the server had already rolled the transaction "
        "back (nothing of it will be committed)",
        TRANSACTION_CLOSED,
        step=index,
    )


def ok_response(result: Any, kind: str, secrets: Secrets = ()) -> JsonDict:
    """The ``response`` of an ``ok`` result of type ``kind``; raise the error of an ``error``."""
    if not isinstance(result, dict):
        raise ProtocolError(f"malformed result from the server: {result!r}")
    if result.get("type") == "error":
        raise error_from_hrana(result.get("error"), secrets=secrets)
    response = result.get("response")
    if result.get("type") != "ok" or not isinstance(response, dict):
        raise ProtocolError(f"malformed result from the server: {result!r}")
    if response.get("type") != kind:
        raise ProtocolError(f"expected a {kind} response, got {response.get('type')!r}")
    return response


def execute_result(result: Any, secrets: Secrets = ()) -> ResultSet:
    return ResultSet.from_hrana(ok_response(result, "execute", secrets).get("result"))


def describe_result(result: Any, secrets: Secrets = ()) -> Description:
    return Description.from_hrana(ok_response(result, "describe", secrets).get("result"))


@dataclass(frozen=True)
class BatchPlan:
    """Where the caller's statements sit among the batch steps."""

    count: int
    begin: bool
    commit: bool
    guarded: bool = False
    """The statements run only inside a transaction: a skipped one means it was gone."""

    @property
    def offset(self) -> int:
        return 1 if self.begin else 0

    @property
    def total(self) -> int:
        return self.count + self.offset + (2 if self.commit else 0)


def batch_request(
    statements: Sequence[StatementLike],
    *,
    transactional: bool,
    begin: str = "BEGIN DEFERRED",
    commit: bool | None = None,
    guard: bool = True,
) -> tuple[JsonDict, BatchPlan]:
    """A Hrana ``batch`` where each step runs only if the previous one succeeded.

    Transactional: ``BEGIN``, the statements, ``COMMIT`` (only if all succeeded), and a
    ``ROLLBACK`` step that runs when ``COMMIT`` did not succeed, so a failure leaves nothing
    behind and the stream is never left inside a transaction. ``commit=False`` only opens the
    transaction (the first request of an interactive transaction). ``guard`` (Hrana 3): the
    statements and ``COMMIT`` also run only while the transaction is open (see the module).
    """
    if isinstance(statements, (str, bytes)):
        raise TypeError("batch() takes a sequence of statements, not a single SQL string")
    plan = BatchPlan(
        count=len(statements),
        begin=transactional,
        commit=transactional if commit is None else commit and transactional,
    )
    stmts = [encode_stmt(s.sql, s.args) for s in map(as_statement, statements)]
    if plan.begin:
        stmts.insert(0, encode_stmt(begin))
    if plan.commit:
        stmts.append(encode_stmt("COMMIT"))
    steps: list[JsonDict] = []
    for index, stmt in enumerate(stmts):
        step: JsonDict = {"stmt": stmt}
        guarded = guard and plan.begin and index > 0
        cond = all_of(
            ok_cond(index - 1) if index > 0 else None, IN_TRANSACTION if guarded else None
        )
        if cond is not None:
            step["condition"] = cond
        steps.append(step)
    if plan.commit:
        steps.append(
            {
                "stmt": encode_stmt("ROLLBACK"),
                "condition": {"type": "not", "cond": {"type": "ok", "step": len(stmts) - 1}},
            }
        )
    return {"type": "batch", "batch": {"steps": steps}}, plan


def batch_result(result: Any, plan: BatchPlan, secrets: Secrets = ()) -> list[ResultSet]:
    """Per-statement results; raise the first error with ``step`` = the statement's index."""
    data = ok_response(result, "batch", secrets).get("result")
    if not isinstance(data, dict):
        raise ProtocolError(f"malformed batch result from the server: {data!r}")
    step_results = data.get("step_results")
    step_errors = data.get("step_errors")
    if not (isinstance(step_results, list) and isinstance(step_errors, list)) or (
        len(step_results) != plan.total or len(step_errors) != plan.total
    ):
        raise ProtocolError("the server's batch result does not match the batch sent")
    if plan.begin and step_errors[0]:
        err = error_from_hrana(step_errors[0], secrets=secrets)
        err.message = f"could not begin the transaction: {err.message}"
        raise err
    for index in range(plan.count):
        if step_errors[plan.offset + index]:
            raise error_from_hrana(step_errors[plan.offset + index], step=index, secrets=secrets)
    if plan.commit and step_errors[plan.offset + plan.count]:
        err = error_from_hrana(step_errors[plan.offset + plan.count], secrets=secrets)
        err.message = f"could not commit the batch (rolled back): {err.message}"
        raise err
    index_default = data.get("replication_index")
    out: list[ResultSet] = []
    for index in range(plan.count):
        step = step_results[plan.offset + index]
        if step is None:
            if plan.begin or plan.guarded:
                raise skipped_in_transaction(index)
            raise HranaError(f"statement {index + 1} of the batch was skipped by the server")
        out.append(ResultSet.from_hrana(step, replication_index=index_default))
    return out


AUTOCOMMIT_PROBE: JsonDict = {
    "stmt": {"sql": "SELECT 1", "want_rows": False},
    "condition": {"type": "is_autocommit"},
}
"""The last step of a cursor batch: it runs only outside a transaction, so whether it ran tells the
transaction state (``/v3/cursor`` cannot carry a ``get_autocommit`` request; turso-serverless does
the same)."""


@dataclass
class CursorFold:
    """Folds the entries of a ``/v3/cursor`` answer for one statement (step 0) and the
    :data:`AUTOCOMMIT_PROBE` (step 1) into a result, keeping at most ``max_rows`` rows.

    :meth:`feed` returns False once ``stop_after`` rows were seen: the caller stops reading (the
    server finishes the statement on its own; the stream stays usable, measured on sqld 0.24.32).
    """

    max_rows: int
    stop_after: int
    columns: tuple[str, ...] = ()
    decltypes: tuple[str | None, ...] = ()
    rows: list[tuple[Any, ...]] | None = None
    seen: int = 0
    ended: bool = False
    affected_row_count: int = 0
    last_insert_rowid: Any = None
    step_began: bool = False
    probe_ran: bool = False
    probe_failed: bool = False
    error: HranaError | None = None
    _step: int | None = None

    def feed(self, entry: Any, secrets: Secrets = ()) -> bool:
        if not isinstance(entry, dict):
            raise ProtocolError(f"malformed cursor entry from the server: {entry!r}")
        kind = entry.get("type")
        if kind == "step_begin":
            self._step = entry.get("step")
            if self._step == 0:
                self.step_began = True
                cols = entry.get("cols") or []
                self.columns = tuple(str(c.get("name") or "") for c in cols)
                self.decltypes = tuple(
                    None if c.get("decltype") is None else str(c["decltype"]) for c in cols
                )
                self.rows = []
            elif self._step == 1:
                self.probe_ran = True
        elif kind == "row" and self._step == 0:
            self.seen += 1
            if self.rows is not None and len(self.rows) < self.max_rows:
                self.rows.append(tuple(decode_value(v) for v in entry.get("row") or []))
            if self.seen >= self.stop_after:
                return False
        elif kind == "step_end" and self._step == 0:
            self.ended = True
            self.affected_row_count = int(entry.get("affected_row_count") or 0)
            self.last_insert_rowid = entry.get("last_insert_rowid")
        elif kind == "step_error":
            if entry.get("step") == 1:
                self.probe_failed = True
            elif self.error is None:
                self.error = error_from_hrana(entry.get("error"), secrets=secrets)
        elif kind == "error" and self.error is None:
            self.error = error_from_hrana(entry.get("error"), secrets=secrets)
        return True

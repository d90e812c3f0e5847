"""Hrana stream requests and their results (shared by one-shot calls, streams, transactions).

A pipeline is ``{"baton": ..., "requests": [...]}``; each request gets one result, ``ok`` or
``error``, and an error in one request does not stop the following ones (so a trailing
``close`` always runs). A batch runs steps on the server with conditions: a step whose
condition is false is skipped (no result, no error).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tursotui.libsql.errors import HranaError, ProtocolError, error_from_hrana
from tursotui.libsql.result import Description, ResultSet, StatementLike, as_statement
from tursotui.libsql.values import Args, JsonDict, encode_stmt

CLOSE: JsonDict = {"type": "close"}

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
) -> tuple[JsonDict, BatchPlan]:
    """A Hrana ``batch`` where each step runs only if the previous one succeeded.

    Transactional: ``BEGIN``, the statements, ``COMMIT`` (only if all succeeded), and a
    ``ROLLBACK`` step that runs when ``COMMIT`` did not succeed, so a failure leaves nothing
    behind and the stream is never left inside a transaction. ``commit=False`` only opens the
    transaction (the first request of an interactive transaction).
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
        if index > 0:
            step["condition"] = {"type": "ok", "step": index - 1}
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
            raise HranaError(f"statement {index + 1} of the batch was skipped by the server")
        out.append(ResultSet.from_hrana(step, replication_index=index_default))
    return out

"""ops/bulk.py: plans (what is refused up front, the count typed), bounded concurrency, per-item results, a
cancel that lets the items in flight finish and starts none, and the minted tokens' file."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest

from tursotui.ops.bulk import BulkPlan, Cancel, ItemResult, MintedTokens, plan, run_bulk
from tursotui.ops.errors import OpsError
from tursotui.ops.fleet import FleetRow

ROWS = [
    FleetRow("a", "g1", delete_protection=True),
    FleetRow("b", "g1"),
    FleetRow("c", "g2"),
    FleetRow("d", ""),
]


def test_plans_refuse_up_front_and_say_what_to_type() -> None:
    delete = plan("delete", ROWS)
    assert delete.items == ("b", "c", "d") and delete.count == 3
    assert [r.name for r in delete.refused] == ["a"]
    assert "delete protection is on" in delete.refused[0].detail
    assert delete.prompt() == "type 3 to delete 3 databases"
    rotate = plan("rotate", ROWS, {"g1": ["a", "b", "x"], "g2": ["c"]})
    assert rotate.items == ("g1", "g2") and rotate.databases == 4
    assert [r.name for r in rotate.refused] == ["d"]
    assert rotate.prompt() == "type 2 to rotate the tokens of 2 groups"
    backup = plan("backup", ROWS[:1])
    assert backup.prompt() == "type 1 to back up 1 database"


async def test_bounded_concurrency_and_per_item_results() -> None:
    running = 0
    peak = 0
    seen: list[int] = []

    async def work(name: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        if name == "n3":
            raise OpsError("the server said no")
        return f"did {name}"

    bulk = BulkPlan("delete", tuple(f"n{i}" for i in range(10)), (ItemResult("p", "refused", "x"),))
    report = await run_bulk(bulk, work, concurrency=3, progress=lambda s: seen.append(s.done))
    assert peak == 3
    assert [r.name for r in report.results] == [*(f"n{i}" for i in range(10)), "p"]
    assert report.of("failed") == [ItemResult("n3", "failed", "the server said no")]
    assert report.summary() == "9 deleted, 1 failed, 1 refused"
    assert seen[-1] == 10 and not report.cancelled
    assert report.details() == ["n3: failed: the server said no", "p: refused: x"]


async def test_cancel_finishes_in_flight_and_starts_none() -> None:
    cancel = Cancel()
    started: list[str] = []

    async def work(name: str) -> str:
        started.append(name)
        if len(started) == 2:
            cancel.set()  # while two are in flight
        await asyncio.sleep(0.02)
        return "ok"

    bulk = BulkPlan("backup", tuple(f"n{i}" for i in range(8)))
    report = await run_bulk(bulk, work, concurrency=2, cancel=cancel)
    assert started == ["n0", "n1"] and report.cancelled
    assert [r.outcome for r in report.results] == ["done", "done", *["not started"] * 6]
    assert report.summary() == "2 backed up, cancelled: 6 not started"


async def test_an_unexpected_error_is_not_swallowed() -> None:
    async def work(name: str) -> str:
        raise KeyError(name)

    with pytest.raises(KeyError):
        await run_bulk(BulkPlan("mint", ("a",)), work)


def test_minted_tokens_go_to_a_0600_file_one_line_each(tmp_path: Path) -> None:
    sink = MintedTokens(tmp_path / "tokens" / "bulk.jsonl")
    sink.add("a", "eyJ.a.sig", "2026-07-01T00:00:00+00:00")
    sink.add("b", "eyJ.b.sig", None)
    assert stat.S_IMODE(sink.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(sink.path.parent.stat().st_mode) == 0o700
    lines = [json.loads(line) for line in sink.path.read_text().splitlines()]
    assert lines == [
        {"database": "a", "token": "eyJ.a.sig", "expires_at": "2026-07-01T00:00:00+00:00"},
        {"database": "b", "token": "eyJ.b.sig", "expires_at": None},
    ]
    assert sink.count == 2


def test_tokens_minted_in_bulk_must_expire() -> None:
    """One bulk action could write thousands of lasting secrets: ``never`` is refused, a lifetime passes."""
    from tursotui.ops.bulk import check_bulk_expiration
    from tursotui.ops.errors import InputError
    from tursotui.ops.tokens import parse_expiration

    with pytest.raises(InputError, match="must expire"):
        check_bulk_expiration(parse_expiration("never"))
    assert check_bulk_expiration(parse_expiration("7d")).seconds == 7 * 86400

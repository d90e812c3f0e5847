"""The quota loop and the local Turso's stop survive what they did not expect, and the usage meters count
as saved only once they are on disk. No sqld: the control plane is built, never started."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tursotui.local.control import billing as billing_module
from tursotui.local.control.billing import BILLING_FILE, Billing
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.host.service import LocalTurso


@pytest.fixture
async def cp(tmp_path: Path) -> AsyncIterator[ControlPlane]:
    plane = ControlPlane(tmp_path / "org")
    plane.data_dir.mkdir()
    yield plane
    await plane.http.aclose()


async def test_the_quota_loop_logs_an_unexpected_error_and_goes_on(
    cp: ControlPlane, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    billing = Billing(cp, interval=0.01)
    calls = 0
    again = asyncio.Event()

    async def failing_once() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("a bug in a quota check")
        again.set()
        return {}

    monkeypatch.setattr(billing, "organization_usage", failing_once)
    with caplog.at_level(logging.ERROR, logger=billing_module.__name__):
        billing._task = asyncio.create_task(billing._loop())
        await asyncio.wait_for(again.wait(), timeout=5)
        assert not billing._task.done()  # the loop outlived the error
        await billing.stop()  # and stopping it re-raises nothing
    assert billing._task is None
    assert "quota check failed unexpectedly" in caplog.text
    assert "a bug in a quota check" in caplog.text  # the traceback is logged


async def test_the_quota_loop_still_stops_when_cancelled_mid_check(
    cp: ControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = Billing(cp, interval=0.01)
    checking = asyncio.Event()

    async def slow() -> dict[str, Any]:
        checking.set()
        await asyncio.sleep(60)
        return {}

    monkeypatch.setattr(billing, "organization_usage", slow)
    billing._task = task = asyncio.create_task(billing._loop())
    await asyncio.wait_for(checking.wait(), timeout=5)
    await asyncio.wait_for(billing.stop(), timeout=5)
    assert task.cancelled()


async def test_close_stops_sqld_and_releases_the_lock_even_when_a_stop_before_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    turso = LocalTurso(tmp_path / "org")
    closed: list[str] = []

    async def fails() -> None:
        raise RuntimeError("billing stop failed")

    async def cp_close() -> None:
        closed.append("cp")

    monkeypatch.setattr(turso.billing, "stop", fails)
    monkeypatch.setattr(turso.cp, "close", cp_close)
    turso.data_dir.mkdir()
    turso.lock.acquire()
    with pytest.raises(RuntimeError, match="billing stop failed"):
        await turso.close()
    assert closed == ["cp"]
    assert turso.lock._fd is None  # released: another process may run this data dir

    # the start-failure path too: its cleanup reaches cp.close() and releases the lock, and the
    # start's own error is the one raised (the cleanup's is logged)
    async def start_fails() -> None:
        raise OSError("sqld would not start")

    monkeypatch.setattr(turso.cp, "start", start_fails)
    with pytest.raises(OSError, match="sqld would not start"):
        await turso.start()
    assert closed == ["cp", "cp"]
    assert turso.lock._fd is None
    assert "stopping the quota checks after a failed start failed" in caplog.text
    await turso.cp.http.aclose()


async def test_meters_count_as_saved_only_once_the_write_succeeded(
    cp: ControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = Billing(cp)
    billing.period = "2026-12"
    billing.meters.read("instance", {"rows_read": 4, "rows_written": 2, "bytes_synced": 0})
    assert billing.meters.changed

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(billing_module, "atomic_write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        billing._save_readings(now=True)
    assert billing.meters.changed  # still to be saved
    monkeypatch.undo()
    billing._save_readings(now=True)
    assert not billing.meters.changed
    saved = Billing(cp)
    saved.load()
    assert saved.meters.read("instance", None)["rows_read"] == 4
    assert (cp.data_dir / BILLING_FILE).stat().st_mode & 0o777 == 0o600

"""The instant first frame (issue 15): the last known snapshot of the target is on screen at once, marked
"cached · as of HH:MM, refreshing…" under the banner, until the first live refresh replaces it; a failed first
refresh keeps it, marked, and says why; another organization's cache is never shown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fixtures.fake_org import TOKEN, FakeOrg

from tursotui.ops import snapshot_cache
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.platform import Database, PlatformClient, UsageCounters
from tursotui.ui import launch
from tursotui.ui.app import TursoApp
from tursotui.ui.main.first_frame import CachedMark

from .helpers import NOW, AppFactory, ready

SnapCompare = Callable[..., bool]
KEY = snapshot_cache.cache_key("cloud", "acme", "https://api.turso.tech")


def cached_org(fetched_ago: timedelta = timedelta(hours=2, minutes=18)) -> OrgSnapshot:
    """What an earlier run saw: a database since deleted (``old-tenant``) and one still there."""
    return OrgSnapshot(
        fetched_at=NOW - fetched_ago,
        databases=(
            Database(
                "old-tenant",
                db_id="uuid-old",
                hostname="old-tenant-acme.aws-us-west-2.turso.io",
                primary_region="aws-us-west-2",
                group="default",
            ),
            Database(
                "xswarm-users",
                db_id="uuid-users",
                hostname="xswarm-users-acme.aws-us-west-2.turso.io",
                primary_region="aws-us-west-2",
                group="default",
            ),
        ),
        db_usage={"old-tenant": UsageCounters(rows_read=7, storage_bytes=4096)},
    )


def gated(
    org: FakeOrg, gate: asyncio.Event | None, error: Exception | None = None
) -> PlatformClient:
    """The fake org behind a gate: no answer until ``gate`` is set (then ``error`` if given)."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if gate is not None:
            await gate.wait()
        if error is not None:
            raise error
        return await org.handler(request)

    async def no_wait(_: float) -> None:
        return None

    return PlatformClient(
        TOKEN,
        organization=org.slug,
        transport=httpx.MockTransport(handler),
        max_retries=0,
        sleep=no_wait,
    )


def text_of(app: TursoApp) -> str:
    return app.export_screenshot()


async def test_a_cached_snapshot_is_marked_until_the_first_live_refresh(
    make_app: AppFactory, tmp_path: Path
) -> None:
    snapshot_cache.save(tmp_path / "data", KEY, cached_org())
    gate = asyncio.Event()
    app = make_app(FakeOrg.acme(), platform=gated(FakeOrg.acme(), gate))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        mark = app.main.query_one(CachedMark)
        assert mark.display and mark.has_class("-shown") and not mark.has_class("-failed")
        assert str(mark.render()) == "⏱ cached · as of 09:42 UTC (2 databases), refreshing…"
        assert app.main.snapshot is None  # nothing cached counts as live
        assert "old-tenant" in text_of(app)
        gate.set()
        await ready(pilot)
        assert not mark.display and app.main.snapshot is not None
        assert "old-tenant" not in text_of(app) and "xswarm-analytics" in text_of(app)
    saved = snapshot_cache.load(tmp_path / "data", KEY)
    assert saved is not None and {d.name for d in saved.databases} == {
        "xswarm-users",
        "xswarm-analytics",
        "xswarm-staging",
    }


async def test_a_failed_first_refresh_keeps_the_mark_and_says_why(
    make_app: AppFactory, tmp_path: Path
) -> None:
    snapshot_cache.save(tmp_path / "data", KEY, cached_org(timedelta(days=2)))
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    app = make_app(FakeOrg.acme(), platform=gated(FakeOrg.acme(), None, error))
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        mark = app.main.query_one(CachedMark)
        assert mark.display and mark.has_class("-failed")
        said = str(mark.render())
        assert said.startswith("⏱ cached · as of 13 Jun 12:00 UTC (2 databases) · refresh failed: ")
        assert "cannot resolve api.turso.tech" in said
        assert "old-tenant" in text_of(app)  # the cached rows stay, marked
        assert app.main.snapshot is None
        titles = [n.title for n in app._notifications]
        assert titles.count("Cannot use api.turso.tech") == 1, titles


async def test_another_orgs_or_a_broken_cache_is_never_shown(
    make_app: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    other = snapshot_cache.cache_key("cloud", "globex", "https://api.turso.tech")
    snapshot_cache.save(data, other, cached_org())
    snapshot_cache.cache_path(data, other).rename(snapshot_cache.cache_path(data, KEY))
    gate = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="tursotui.ops.snapshot_cache"):
        app = make_app(FakeOrg.acme(), platform=gated(FakeOrg.acme(), gate))
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert not app.main.query_one(CachedMark).display
            assert "old-tenant" not in text_of(app)
            gate.set()
            await ready(pilot)
    assert "it is the snapshot of 'cloud:api.turso.tech:globex', not of" in caplog.text


def test_the_cached_refreshing_state(
    snap_compare: SnapCompare, make_app: AppFactory, tmp_path: Path
) -> None:
    """80×24: the cached rows and the mark while the first refresh has not answered."""
    snapshot_cache.save(tmp_path / "data", KEY, cached_org())
    gate = asyncio.Event()  # never set: the refresh is still running when the snapshot is taken

    async def settle(pilot: Any) -> None:
        await pilot.pause()
        assert pilot.app.main.query_one(CachedMark).display

    app = make_app(FakeOrg.acme(), platform=gated(FakeOrg.acme(), gate))
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


@pytest.mark.parametrize("has_cache", [True, False])
async def test_on_turso_cloud_a_cache_starts_the_console_without_waiting_for_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_cache: bool
) -> None:
    """ui/launch.py fetches the first snapshot before the console draws (up to 6 s) only when there is no
    last known snapshot of that organization to draw at once."""
    if has_cache:
        snapshot_cache.save(tmp_path, KEY, cached_org())
    platform = PlatformClient(TOKEN, organization="acme")
    fetched: list[str] = []
    started: list[object] = []

    @contextlib.asynccontextmanager
    async def backend(_: object) -> AsyncIterator[object]:
        yield SimpleNamespace(platform=platform, secrets=None)

    async def first_snapshot(_: PlatformClient) -> str:
        fetched.append("fetched")
        return "live snapshot"

    async def run_app(app: object, _: object) -> None:
        started.append(app)

    class Services:
        @classmethod
        def from_settings(cls, *_: object, **__: object) -> str:
            return "services"

    monkeypatch.setattr("tursotui.backend.open_backend", backend)
    monkeypatch.setattr(launch, "_first_snapshot", first_snapshot)
    monkeypatch.setattr(launch, "_run_app", run_app)
    console: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    console.set_result((lambda services, first: (services, first), Services))
    await launch._run_cloud(SimpleNamespace(data_dir=tmp_path), None, console)  # type: ignore[arg-type]
    await platform.aclose()
    assert started == [("services", None if has_cache else "live snapshot")]
    assert fetched == ([] if has_cache else ["fetched"])

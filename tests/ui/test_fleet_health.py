"""The Fleet health tab (0): migration status per database with counts per state, the fleet filter, apply on the
selection after typing the count with live progress, esc cancelling (in-flight finish, none new), drift groups
and a group's diff. On a fake org whose databases are in-memory sqlite3 behind a Hrana fake (snapshots at 80×24)
and on the real local Turso (real sqld)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.fake_org import FakeDatabase, FakeHrana, FakeOrg, usage
from textual.pilot import Pilot

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import HranaConnectionError
from tursotui.local.host.fleet import build_fleet
from tursotui.local.host.service import LocalTurso
from tursotui.ops.migrate.files import load_migrations
from tursotui.ops.migrate.ledger import CREATE_LEDGER, LEDGER
from tursotui.support.xswarm import SCHEMA
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.migrate import ApplyConfirmScreen, SchemaDiffScreen
from tursotui.ui.panes.fleet_health import FleetHealthPane
from tursotui.ui.panes.fleet_health_drift import DriftTable

from .helpers import AppFactory, local_app, ready

SnapCompare = Callable[..., bool]
PLAN = (
    "ALTER TABLE users ADD COLUMN plan TEXT DEFAULT 'free';\n"
    "CREATE INDEX idx_users_plan ON users(plan);\n"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, what TEXT);\n"
)
TENANTS = [f"tenant-{n:02d}" for n in range(1, 8)]


def write_migrations(root: Path) -> Path:
    folder = root / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0001_create_users.sql").write_text(";\n".join(SCHEMA) + ";\n")
    (folder / "0002_add_plan.sql").write_text(PLAN)
    return folder


class ArgsHrana(FakeHrana):
    """FakeHrana binding each statement's positional arguments (the ledger's rows carry them)."""

    def _execute(self, request: dict[str, Any], read_only: bool) -> dict[str, Any]:
        args = request["stmt"].get("args", [])
        if not args:
            return super()._execute(request, read_only)
        sql = request["stmt"]["sql"]
        self.statements.append(sql)
        values = [int(a["value"]) if a["type"] == "integer" else a.get("value") for a in args]
        self.db.execute(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")
        try:
            self.db.execute(sql, values)
        except sqlite3.Error as exc:
            error = {"message": f"SQLite error: {exc}", "code": "SQLITE_CONSTRAINT"}
            return {"type": "error", "error": error}
        result = {"cols": [], "rows": [], "affected_row_count": 1, "last_insert_rowid": None}
        return {"type": "ok", "response": {"type": "execute", "result": result}}


class Fleet:
    """Per database an in-memory sqlite3 behind Hrana; ``slow`` databases take ``delay`` seconds per request;
    ``down`` ones cannot be reached."""

    def __init__(self, folder: Path) -> None:
        self.dbs: dict[str, ArgsHrana] = {}
        self.migrations = load_migrations(folder)
        self.delay = 0.0
        self.down: set[str] = set()

    def add(self, name: str, applied: int = 0, *, checksum: str | None = None) -> None:
        hrana = ArgsHrana(";\n".join(SCHEMA) + ";")
        if applied:
            hrana.db.execute(CREATE_LEDGER)
        for m in self.migrations[:applied]:
            if m.id > 1:
                for step in m.steps:
                    hrana.db.execute(step.sql)
            hrana.db.execute(
                f"INSERT INTO {LEDGER} VALUES (?, ?, ?, '2026-06-15T11:00:00.000Z', 0.01)",
                [m.id, m.name, checksum or m.checksum],
            )
        self.dbs[name] = hrana

    def opener(self) -> Any:
        fleet = self

        @contextlib.asynccontextmanager
        async def open_sql(database: str, read_only: bool) -> AsyncIterator[HranaClient]:
            if database in fleet.down:
                raise HranaConnectionError(f"cannot connect to {database}-acme.turso.io")
            handler = fleet.dbs[database].handler_for(read_only)

            async def slow(request: httpx.Request) -> httpx.Response:
                await asyncio.sleep(fleet.delay)
                answer: httpx.Response = await handler(request)
                return answer

            http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
            client = HranaClient(f"https://{database}-acme.turso.io", "fake-sql-token", http=http)
            try:
                yield client
            finally:
                await http.aclose()

        return open_sql


def fake_fleet(root: Path) -> tuple[FakeOrg, Fleet]:
    org = FakeOrg.acme()
    for n, name in enumerate(TENANTS):
        org.databases[name] = FakeDatabase(
            name, "staging" if n % 2 else "default", usage(1000 * n, 10 * n, 4096, 0)
        )
    fleet = Fleet(write_migrations(root))
    fleet.add("xswarm-users", 2)
    fleet.add("xswarm-analytics", 1)
    fleet.add("xswarm-staging", 1, checksum="0" * 64)
    for name in TENANTS:
        fleet.add(name)
    fleet.down.add("tenant-07")
    return org, fleet


def _app(make_app: AppFactory, root: Path) -> tuple[TursoApp, Fleet]:
    org, fleet = fake_fleet(root)
    app = make_app(org, sql_opener=fleet.opener(), config_path=root / "config.toml")
    return app, fleet


async def shown(pilot: Pilot[Any]) -> FleetHealthPane:
    """Tab 0 shown and every ledger read."""
    await ready(pilot)
    await pilot.press("0")
    app = pilot.app
    assert isinstance(app, TursoApp)
    for _ in range(200):
        await pilot.pause()
        panes = app.main.query(FleetHealthPane)
        if (
            panes
            and panes.first().targets
            and len(panes.first().statuses) == len(panes.first().targets)
        ):
            break
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)
    return app.main.query_one(FleetHealthPane)


def text_of(pane: FleetHealthPane, selector: str) -> str:
    return str(pane.query_one(selector).render())


async def settled(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApplyConfirmScreen, "CURSOR_BLINK", False)


async def test_status_counts_filter_apply_and_drift_on_a_fake_fleet(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app, fleet = _app(make_app, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await shown(pilot)
        states = {name: s.state for name, s in pane.statuses.items()}
        assert states["xswarm-users"] == "up-to-date" and states["xswarm-analytics"] == "pending"
        assert states["xswarm-staging"] == "changed" and states["tenant-07"] == "error"
        status = text_of(pane, "#fleet-health-status")
        assert "1 up-to-date, 7 pending, 1 changed, 1 error" in status

        await pilot.press("slash", *"tenant", "enter")
        await pilot.pause()
        assert [r.name for r in pane.view.shown] == TENANTS
        await pilot.press("asterisk", "a")
        await pilot.pause()
        assert isinstance(app.screen, ApplyConfirmScreen) and app.screen.count == 7
        await pilot.press("6", "enter")  # the wrong count: refused, still asking
        assert isinstance(app.screen, ApplyConfirmScreen)
        await pilot.press("backspace", "7", "enter")
        await settled(pilot)
        outcomes = {name: o.result for name, o in pane.outcomes.items()}
        assert outcomes == {**dict.fromkeys(TENANTS[:-1], "applied"), "tenant-07": "failed"}
        assert pane.statuses["tenant-01"].state == "up-to-date"
        assert "applied to 7 of 7" in text_of(pane, "#fleet-health-status")
        assert fleet.dbs["tenant-03"].db.execute(f"SELECT count(*) FROM {LEDGER}").fetchone() == (
            2,
        )
        pane.view.table.move_to_key("tenant-07")
        await pilot.pause()
        assert "could not be reached" in text_of(pane, "#fleet-health-detail")

        fleet.dbs["tenant-02"].db.executescript(
            "PRAGMA query_only = OFF; CREATE INDEX extra ON users(phone);"
        )
        await pilot.press("d")
        await settled(pilot)
        table = pane.query_one(DriftTable)
        report = table.report
        assert report is not None
        assert report.drifted == ["tenant-02", "xswarm-analytics", "xswarm-staging"]
        assert "tenant-07" in report.errors
        groups = [g for g in report.groups if "tenant-02" in g.databases]
        table.move_cursor(row=report.groups.index(groups[0]))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SchemaDiffScreen)
        assert "+index extra: create index extra on users(phone)" in app.screen.group.diff
        await pilot.press("escape", "d")
        await pilot.pause()
        assert not pane.has_class("-drift")


async def test_esc_cancels_an_apply_in_flight_finish_and_none_new_starts(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FleetHealthPane, "CONCURRENCY", 2)
    app, fleet = _app(make_app, tmp_path)
    fleet.down.clear()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await shown(pilot)
        fleet.delay = 0.5  # 1 s a database, 2 at a time: esc lands well before the 7th starts
        await pilot.press("slash", *"tenant", "enter", "asterisk", "a", "7", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if "applying" in pane.live.values():
                break
        await pilot.press("escape")
        await settled(pilot)
        applied = [n for n, o in pane.outcomes.items() if o.result == "applied"]
        assert 1 <= len(applied) < 7  # the ones in flight finished
        assert all(pane.live.get(n) == "not started" for n in TENANTS if n not in applied)
        assert "cancelled" in text_of(pane, "#fleet-health-status")
        for name in TENANTS:  # none half-migrated
            ledger = (
                fleet.dbs[name]
                .db.execute("SELECT count(*) FROM sqlite_schema WHERE name = ?", [LEDGER])
                .fetchone()
            )
            assert ledger == ((1,) if name in applied else (0,))


async def _on_status(pilot: Pilot[Any]) -> None:
    await shown(pilot)


async def _on_confirm(pilot: Pilot[Any]) -> None:
    await shown(pilot)
    await pilot.press("slash", *"tenant", "enter", "asterisk", "a", "7")
    await pilot.pause()


def test_fleet_health_tab_80x24(
    snap_compare: SnapCompare, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = _app(make_app, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_on_status)


def test_fleet_health_confirm_80x24(
    snap_compare: SnapCompare, make_app: AppFactory, tmp_path: Path
) -> None:
    app, _ = _app(make_app, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_on_confirm)


async def test_on_the_local_turso(local_turso: LocalTurso, tmp_path: Path) -> None:
    """12 tenants on real sqld: every ledger read through one token per group, apply on all with one failing
    database (its error shown, it unchanged), then drift names it."""
    await build_fleet(local_turso, 12)
    write_migrations(tmp_path)
    platform = local_turso.platform_client(max_retries=0)
    try:
        token = (await platform.create_database_token("tenant-00003")).jwt
        url = (await platform.get_database("tenant-00003")).url
    finally:
        await platform.aclose()
    async with HranaClient(url, token) as sql:
        await sql.execute("CREATE TABLE audit (x)")
    app = local_app(local_turso, tmp_path, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await shown(pilot)
        tenants = sorted(n for n in pane.targets if n.startswith("tenant-"))
        assert len(tenants) == 12
        assert {pane.statuses[n].state for n in tenants} == {"pending"}
        await pilot.press("slash", *"tenant-", "enter", "asterisk", "a", "1", "2", "enter")
        await settled(pilot)
        results = {n: pane.outcomes[n].result for n in tenants}
        assert results.pop("tenant-00003") == "failed"
        assert set(results.values()) == {"applied"}
        pane.view.table.move_to_key("tenant-00003")
        await pilot.pause()
        detail = text_of(pane, "#fleet-health-detail")
        assert "0002_add_plan.sql line 3" in detail and "already exists" in detail
        assert pane.statuses["tenant-00003"].pending == (1, 2)
        await pilot.press("d")
        await settled(pilot)
        report = pane.query_one(DriftTable).report
        assert report is not None and "tenant-00003" in report.drifted

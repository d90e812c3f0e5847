"""The Doctor tab (9): the checks run in a worker on the real local Turso (real sqld), each row with its state, the
highlighted check's finding and fix below, r re-runs; and its snapshot at 80×24 (fake org, fixed clock, every
state shown: OK, WARN, FAIL, SKIP)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fixtures.cli import fill
from fixtures.fake_org import TOKEN, FakeOrg
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tursotui.config import Settings
from tursotui.config.schema import Config, LocalReplicaConfig, TursoConfig
from tursotui.libsql import ResultSet
from tursotui.libsql.values import Args
from tursotui.local.host.service import LocalTurso
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.help import HelpScreen
from tursotui.ui.panes.doctor import DoctorPane

from .helpers import NOW, AppFactory, local_app, ready, write_screenshot

SnapCompare = Callable[..., bool]
URL = "libsql://aws-us-west-2-xswarm-users-acme.turso.io"


@pytest.fixture(autouse=True)
def _home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # paths show as ~/…


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'EdDSA'})}.{part(claims)}.not-a-real-signature"


class DoctorOrg(FakeOrg):
    """acme, answering the two reads the doctor adds: the API token's expiry (3 days left) and a group."""

    def route(self, method: str, path: str) -> tuple[int, Any]:
        if path == "/v1/auth/validate":
            return 200, {"exp": int((NOW + timedelta(days=3)).timestamp())}
        prefix = f"/v1/organizations/{self.slug}/groups/"
        if method == "GET" and path.startswith(prefix) and path[len(prefix) :] in self.groups:
            return 200, {"group": self.groups[path[len(prefix) :]].to_json()}
        return super().route(method, path)


class IndexedUsers:
    """SQL for the index check: the seed's users columns and indexes, each lookup searching with one."""

    INDEXES = (
        ("email", "sqlite_autoindex_users_2"),
        ("xswarm_phone", "idx_users_xswarm_phone"),
        ("stripe_customer_id", "idx_users_stripe_customer"),
    )

    async def execute(self, sql: str, args: Args | None = None) -> ResultSet:
        if "pragma_table_info" in sql:
            return ResultSet(("name",), rows=tuple((c,) for c, _ in self.INDEXES))
        if "pragma_index_list" in sql:
            return ResultSet(("name", "name"), rows=self.INDEXES)
        column = sql.rsplit("WHERE ", 1)[1].split(" ")[0]
        index = dict(self.INDEXES)[column]
        detail = f"SEARCH users USING INDEX {index} ({column}=?)"
        return ResultSet(("id", "parent", "notused", "detail"), rows=((2, 0, 0, detail),))


@asynccontextmanager
async def _indexed(database: str, read_only: bool) -> AsyncIterator[IndexedUsers]:
    yield IndexedUsers()


def _settings(tmp_path: Path, token: str) -> Settings:
    turso = TursoConfig(
        database_name="xswarm-users",
        organization="acme",
        database_url=URL,
        local_replica=LocalReplicaConfig(
            enabled=False, sync_interval_seconds=60, local_db_path=tmp_path / "replica" / "users.db"
        ),
    )
    return Settings(
        config=Config(turso=turso),
        config_path=tmp_path / "config.toml",
        env_path=tmp_path / ".env",
        data_dir=tmp_path / "data",
        target="cloud",
        read_only=False,
        database_url=URL,
        organization="acme",
        api_token=None,
        auth_token=token,
    )


async def _shown(pilot: Pilot[Any]) -> DoctorPane:
    """Tab 9 shown and its checks done."""
    await ready(pilot)
    await pilot.press("9")
    app = pilot.app
    assert isinstance(app, TursoApp)
    for _ in range(100):
        await pilot.pause()
        panes = app.main.query(DoctorPane)
        if panes and panes.first().report is not None:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.main.query_one(DoctorPane)


def _fake_app(make_app: AppFactory, tmp_path: Path) -> tuple[TursoApp, str]:
    """acme with every state: the API token expiring, TURSO_AUTH_TOKEN of another database, .env 0644, the
    replica off; the app and the token it holds."""
    fake = DoctorOrg.acme()
    other = fake.databases["xswarm-analytics"]
    token = _jwt(
        {"p": {"rw": {"ns": [other.name]}}, "exp": int((NOW + timedelta(days=60)).timestamp())}
    )
    env = tmp_path / ".env"
    env.write_text("TURSO_AUTH_TOKEN=in-the-settings\n")
    env.chmod(0o644)
    app = make_app(
        fake,
        settings=_settings(tmp_path, token),
        env_path=env,
        config_path=tmp_path / "config.toml",
        sql_opener=_indexed,
        secrets=(token,),
    )
    return app, token


async def _on_the_token(pilot: Pilot[Any]) -> None:
    pane = await _shown(pilot)
    assert pane.report is not None
    states = {c.id: c.state for c in pane.report.checks}
    assert set(states.values()) == {"ok", "warn", "fail", "skip"}, states
    await pilot.press(*["down"] * [c.id for c in pane.report.checks].index("db-token"))
    await pilot.pause()


def test_doctor_tab_80x24(snap_compare: SnapCompare, make_app: AppFactory, tmp_path: Path) -> None:
    app, _ = _fake_app(make_app, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_on_the_token)


async def test_readme_screenshot(make_app: AppFactory, tmp_path: Path) -> None:
    """screenshots/doctor.svg at 120×36, written only when changed; never a token in it."""
    app, token = _fake_app(make_app, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await _on_the_token(pilot)
        detail = str(app.main.query_one("#doctor-detail", Static).render())
        assert "fix: `tursotui token create xswarm-users --write-env`" in detail
        write_screenshot(app, "doctor", (token, TOKEN))


async def test_doctor_tab_runs_the_checks_on_the_local_turso_and_r_reruns_them(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    platform = local_turso.platform_client(max_retries=0)
    await platform.create_group("default", "sjc")
    await platform.create_database("app", "default")
    await platform.aclose()
    from tursotui.support.xswarm import SCHEMA

    await fill(local_turso, "app", list(SCHEMA))
    env = tmp_path / ".env"
    env.write_text("# no tokens here\n")
    env.chmod(0o644)
    app = local_app(local_turso, tmp_path, database_name="app", env_path=env)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _shown(pilot)
        report = pane.report
        assert report is not None and report.database == "app"
        table = pane.query_one("#doctor-table", DataTable)
        assert table.row_count == len(report.checks) == 11
        states = {c.id: c.state for c in report.checks}
        assert states["database"] == "ok" and states["indexes"] == "ok", report.to_json()
        assert states["env-mode"] == "fail" and not report.passed
        status = str(pane.query_one("#doctor-status", Static).render())
        assert "a check failed" in status and "r re-runs" in status

        table.focus()
        table.move_cursor(row=[c.id for c in report.checks].index("env-mode"))
        await pilot.pause()
        detail = str(pane.query_one("#doctor-detail", Static).render())
        assert "is mode 0644" in detail and "fix: `chmod 600" in detail

        env.chmod(0o600)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.report is not None and pane.report is not report
        assert pane.report.get("env-mode").state == "ok"
        assert table.cursor_row == [c.id for c in report.checks].index("env-mode")  # kept

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        pane_keys = {
            s.title: [(e.key, e.description) for e in s.entries] for s in app.screen.sections
        }
        assert pane_keys["Doctor pane"] == [("r", "Re-run: Run every check again")]

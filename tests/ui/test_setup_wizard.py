"""The setup wizard inside the console (``S``), end to end against the real local Turso on sqld: a bad name
is named and nothing is created; a run creates the database, writes .env (0600) and config.toml (comments
kept), applies the schema, and a second run skips every step; a failed run leaves nothing half-written and
resumes with ``r``. Plus the refusals (read-only mode, no resolved settings) and the form's pure checks."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, SelectionList, Static

from tursotui.config import CliOptions, Settings, load_config, read_env_file, resolve
from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso
from tursotui.ops.setup import LocationChoices, location_choices
from tursotui.support.xswarm import SCHEMA
from tursotui.ui.app import TursoApp
from tursotui.ui.wizards.setup import SetupProgressScreen, statement_line
from tursotui.ui.wizards.setup_form import (
    FieldError,
    FormContext,
    FormValues,
    SetupFormScreen,
    build_plan,
)

from .helpers import local_app

COMMENT = "# kept: the operator's own note"


def resolved(config: Path, tmp_path: Path) -> Settings:
    """The settings the console resolves for ``--config config --target local`` (no environment)."""
    return resolve(
        CliOptions(
            config=str(config),
            data_dir=str(tmp_path / "data"),
            target="local",
            config_may_be_missing=True,
        ),
        environ={},
    )


def make(
    turso: LocalTurso, tmp_path: Path, settings: Settings | None, **overrides: Any
) -> TursoApp:
    paths = {"config_path": settings.config_path, "env_path": settings.env_path} if settings else {}
    return local_app(turso, tmp_path, settings=settings, **{**paths, **overrides})


async def wait(pilot: Pilot[Any], until: Callable[[], bool], rounds: int = 600) -> None:
    for _ in range(rounds):
        if until():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out waiting for the wizard")


async def open_form(pilot: Pilot[Any]) -> SetupFormScreen:
    app = pilot.app
    assert isinstance(app, TursoApp)
    await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
    await pilot.press("S")
    await wait(pilot, lambda: isinstance(app.screen, SetupFormScreen))
    form = app.screen
    assert isinstance(form, SetupFormScreen)
    for field in form.query(Input):
        field.cursor_blink = False
    return form


async def run_to_end(pilot: Pilot[Any]) -> SetupProgressScreen:
    """Submit the form (ctrl+s) and wait for the run to finish."""
    await pilot.press("ctrl+s")
    await wait(pilot, lambda: isinstance(pilot.app.screen, SetupProgressScreen))
    progress = pilot.app.screen
    assert isinstance(progress, SetupProgressScreen)
    await wait(pilot, lambda: progress.runs >= 1 and not progress.running, rounds=3000)
    return progress


def states(progress: SetupProgressScreen) -> dict[str, str]:
    return {row.key: row.state for row in progress.rows}


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def databases(turso: LocalTurso) -> list[str]:
    client = turso.platform_client()
    try:
        return [d.name for d in await client.list_databases()]
    finally:
        await client.aclose()


async def test_bad_name_is_named_and_nothing_is_created(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    config = tmp_path / "cfg" / "config.toml"
    app = make(local_turso, tmp_path, resolved(config, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        form.query_one("#setup-database", Input).value = "Bad Name"
        await pilot.pause()
        assert "invalid database name 'Bad Name'" in text_of(form, "#setup-database-feedback")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form, "a bad field keeps the form open"
        error = text_of(form, "#setup-error")
        assert error.startswith("Database name: invalid database name 'Bad Name'")
        assert "lowercase letters, numbers and dashes" in error
        assert form.focused is form.query_one("#setup-database", Input)
        # another bad field, named too
        form.query_one("#setup-database", Input).value = "fine-name"
        form.query_one("#setup-expiration", Input).value = "soon"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(form, "#setup-error").startswith("Token expiration: invalid expiration")
        assert form.focused is form.query_one("#setup-expiration", Input)
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen.id == "main")
        assert any("Setup cancelled" in n.message for n in app._notifications)
    assert await databases(local_turso) == []
    assert not config.exists()
    assert not (tmp_path / "cfg" / ".env").exists()


async def test_wizard_sets_up_then_a_second_run_skips_every_step(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    config = tmp_path / "cfg" / "config.toml"
    env = tmp_path / "cfg" / ".env"
    config.parent.mkdir()
    config.write_text(f"{COMMENT}\n[tursotui]\nrefresh_interval_seconds = 3600\n")
    env.write_text("OTHER_KEY=kept\n")
    app = make(local_turso, tmp_path, resolved(config, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        assert "new: created by setup" in text_of(form, "#setup-database-feedback")
        assert "sjc: local default" in text_of(form, "#setup-primary-feedback")
        form.query_one("#setup-replicas", SelectionList).select("iad")
        form.query_one("#setup-test-users", Checkbox).value = True
        form.query_one("#setup-backups", Checkbox).value = True
        progress = await run_to_end(pilot)
        first = states(progress)
        assert first == {
            "api_token": "skipped",  # the local Turso needs no account
            "organization": "done",
            "location": "done",
            "database": "done",
            "replicas": "done",
            "db_token": "done",
            "config": "done",
            "schema": "done",
            "test_users": "done",
            "connection": "done",
            "local_replica": "skipped",  # not asked
            "backups": "done",
        }
        schema = progress.row("schema")
        assert schema.statements == list(SCHEMA)
        shown = str(schema.query_one(".step-statements", Static).render())
        assert [statement_line(s) for s in SCHEMA] == shown.splitlines()
        assert "idx_users_stripe_customer" in shown
        assert "2 users" in progress.row("connection").detail
        said = progress.row("config").detail  # on screen: which backups were kept
        (env_backup,) = env.parent.glob(".env.bak-*")
        assert f"previous .env kept as {env_backup}" in said
        assert "previous config.toml kept as " in said
        assert "r re-run" in str(progress.query_one("#setup-hint").render())
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen.id == "main")
        # the dashboard refreshed and shows the new database
        await wait(
            pilot,
            lambda: (
                app.main.snapshot is not None
                and app.main.snapshot.database("xswarm-users") is not None
            ),
        )
        assert app.services.database_name == "xswarm-users"

        # what was written
        token = read_env_file(env)["TURSO_AUTH_TOKEN"]
        assert token.count(".") == 2
        assert token not in "\n".join(r.plain for r in progress.rows), "the token is never shown"
        assert read_env_file(env)["OTHER_KEY"] == "kept"
        assert stat.S_IMODE(env.stat().st_mode) == 0o600
        assert list(env.parent.glob(".env.bak-*")), "the previous .env was backed up"
        assert list(config.parent.glob("config.toml.bak-*")), "the previous config was backed up"
        assert COMMENT in config.read_text()
        written = load_config(config)
        assert written.turso.database_name == "xswarm-users"
        assert written.turso.organization == local_turso.organization
        assert written.turso.primary_region == "sjc"
        assert written.turso.replica_regions == ("iad",)
        assert written.turso.backup.enabled is True
        assert written.tursotui.refresh_interval_seconds == 3600
        db = written.turso.database_url
        async with HranaClient(db, token) as client:
            names = {r[0] for r in (await client.execute("SELECT name FROM sqlite_master")).rows}
            ids = [r[0] for r in (await client.execute("SELECT id FROM users ORDER BY id")).rows]
        assert {"users", "subscription_items", "usage", "idx_users_email"} <= names
        assert {"idx_users_xswarm_phone", "idx_users_stripe_customer"} <= names
        assert ids == ["admin-456", "test-123"]
        env_before, config_before = env.read_bytes(), config.read_bytes()

        # a second run: the same choices, every step finds its work already done
        form = await open_form(pilot)
        assert "exists: setup resumes" in text_of(form, "#setup-database-feedback")
        assert "exists, primary sjc" in text_of(form, "#setup-group-feedback")
        form.query_one("#setup-replicas", SelectionList).select("iad")
        form.query_one("#setup-test-users", Checkbox).value = True
        form.query_one("#setup-backups", Checkbox).value = True
        progress = await run_to_end(pilot)
        second = states(progress)
        # every step is skipped but the connection test, which is live each time
        assert second == {k: "done" if k == "connection" else "skipped" for k in second}
        assert "already exists" in progress.row("database").detail
        assert "already opens xswarm-users" in progress.row("db_token").detail
        assert "already point at the database" in progress.row("config").detail
        assert progress.row("backups").statements == ["0 2 * * * tursotui backup"]
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen.id == "main")
    assert env.read_bytes() == env_before and config.read_bytes() == config_before
    assert await databases(local_turso) == ["xswarm-users"]


async def test_a_failed_run_leaves_nothing_half_written_and_resumes(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    blocker = tmp_path / "cfg"
    blocker.write_text("a file where the config directory should be\n")
    config = blocker / "config.toml"
    app = make(local_turso, tmp_path, resolved(config, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        progress = await run_to_end(pilot)
        failed = states(progress)
        assert failed["database"] == "done" and failed["db_token"] == "done"
        assert failed["config"] == "failed"
        assert all(failed[k] == "pending" for k in ("schema", "connection", "backups"))
        assert str(blocker) in progress.row("config").detail
        assert "r resume" in str(progress.query_one("#setup-hint").render())
        assert "Stopped at" in text_of(progress, "#setup-summary")
        assert not progress.succeeded
        assert blocker.read_text().startswith("a file where"), "nothing half-written"

        blocker.unlink()  # the operator fixes the cause, then resumes with r
        await pilot.press("r")
        await wait(pilot, lambda: progress.runs == 2 and not progress.running, rounds=3000)
        resumed = states(progress)
        assert resumed["database"] == "skipped" and resumed["location"] == "skipped"
        assert resumed["db_token"] == "done"  # the first token never reached .env: a new one
        assert resumed["config"] == "done" and resumed["schema"] == "done"
        assert resumed["connection"] == "done"
        assert progress.succeeded
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen.id == "main")
        assert any("Setup finished" in n.message for n in app._notifications)
    assert load_config(config).turso.database_name == "xswarm-users"
    assert stat.S_IMODE((blocker / ".env").stat().st_mode) == 0o600
    assert await databases(local_turso) == ["xswarm-users"]


async def test_read_only_mode_refuses_to_start(local_turso: LocalTurso, tmp_path: Path) -> None:
    app = make(local_turso, tmp_path, resolved(tmp_path / "config.toml", tmp_path), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
        await pilot.press("S")
        await pilot.pause(0.1)
        assert app.screen.id == "main"
        assert any(
            "Read-only mode: setup is disabled" in n.message and n.severity == "warning"
            for n in app._notifications
        )
    assert await databases(local_turso) == []


async def test_without_resolved_settings_it_says_so(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    app = make(local_turso, tmp_path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
        await pilot.press("S")
        await pilot.pause(0.1)
        assert app.screen.id == "main"
        assert any("Setup needs the resolved config" in n.message for n in app._notifications)


async def test_locations_closest_first_on_the_local_turso(local_turso: LocalTurso) -> None:
    client = local_turso.platform_client()
    try:
        choices = await location_choices(client, local=True)
    finally:
        await client.aclose()
    assert choices.default == "sjc" and choices.how == "local default"
    codes = [code for code, _ in choices.locations]
    assert codes[0] == "sjc" and codes[1:] == sorted(codes[1:]) and "iad" in codes


# -- the form's checks (pure) --------------------------------------------------------------------------


def context(**overrides: Any) -> FormContext:
    fields: dict[str, Any] = {
        "target": "cloud",
        "organizations": ("acme", "personal"),
        "organization": "acme",
        "locations": LocationChoices(
            [("aws-us-west-2", "Oregon"), ("aws-eu-west-1", "Ireland")],
            "aws-us-west-2",
            "closest to you",
        ),
        "groups": {"default": "aws-us-west-2"},
        "databases": frozenset({"xswarm-users"}),
        "database": "xswarm-users",
        "api_token": None,
        "config_path": Path("/nonexistent/config.toml"),
        "env_path": Path("/nonexistent/.env"),
    }
    fields.update(overrides)
    return FormContext(**fields)


def values(**overrides: Any) -> FormValues:
    fields: dict[str, Any] = {
        "organization": "acme",
        "database": "new-db",
        "group": "edge",
        "primary": "aws-eu-west-1",
        "replicas": ("aws-us-west-2",),
        "expiration": " 30D ",
        "read_only": True,
        "test_users": False,
        "local_replica": True,
        "backups": False,
    }
    fields.update(overrides)
    return FormValues(**fields)


def test_build_plan_takes_every_choice() -> None:
    plan = build_plan(values(), context())
    assert (plan.database, plan.group, plan.organization) == ("new-db", "edge", "acme")
    assert (plan.primary, plan.replicas) == ("aws-eu-west-1", ("aws-us-west-2",))
    assert (plan.expiration, plan.read_only, plan.local_replica) == ("30d", True, True)


@pytest.mark.parametrize(
    ("changed", "field", "message"),
    [
        ({"organization": ""}, "setup-organization", "Organization: pick one of acme, personal"),
        ({"database": "-bad"}, "setup-database", "Database name: invalid database name '-bad'"),
        ({"group": "Edge"}, "setup-group", "Group: invalid group name 'Edge'"),
        ({"primary": ""}, "setup-primary", "Primary location: pick one"),
        ({"replicas": ("aws-eu-west-1",)}, "setup-replicas", "Replica locations: aws-eu-west-1 is the primary"),
        # an existing group keeps its primary, whatever the picker says
        ({"group": "default", "replicas": ("aws-us-west-2",)}, "setup-replicas", "aws-us-west-2 is the primary"),
        ({"expiration": "0d"}, "setup-expiration", "Token expiration: invalid expiration '0d'"),
    ],
)  # fmt: skip
def test_build_plan_names_the_bad_field(changed: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(FieldError) as caught:
        build_plan(values(**changed), context())
    assert caught.value.field == field
    assert message in str(caught.value)

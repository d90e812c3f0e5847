"""Archived databases in the Databases pane: marked in the list, their 502 explained with the way back, and
unarchived with u (refused in read-only mode); an 80×24 snapshot of the archived state."""

from __future__ import annotations

from collections.abc import Callable

from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import DataTable

from tursotui.ui.app import TursoApp
from tursotui.ui.panes.databases_cells import archived_hint
from tursotui.ui.widgets.fleet_table import FleetTable

from .helpers import AppFactory, keys, ready

SnapCompare = Callable[..., bool]
ORG = "/v1/organizations/acme"


def archived_org() -> FakeOrg:
    """Group staging (xswarm-staging) archived: its instances answer 502."""
    org = FakeOrg.acme()
    groups = [g.to_json() for g in org.groups.values()]
    for group in groups:
        group["archived"] = group["name"] == "staging"
    org.fail[f"GET {ORG}/groups"] = (200, {"groups": groups})
    org.fail[f"GET {ORG}/databases/xswarm-staging/instances"] = (502, {"error": "bad gateway"})
    staging = org.database_json(org.databases["xswarm-staging"])
    org.fail[f"GET {ORG}/databases/xswarm-staging"] = (
        200,
        {"database": {**staging, "archived": True}},
    )
    unarchived = next(g for g in groups if g["name"] == "staging")
    org.fail[f"POST {ORG}/groups/staging/unarchive"] = (
        200,
        {"group": {**unarchived, "archived": False}},
    )
    return org


def names(app: TursoApp) -> list[str]:
    table = app.main.query_one("#databases-table", FleetTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def select_staging(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, TursoApp)
    table = app.main.query_one("#databases-table", FleetTable)
    table.move_cursor(row=table.get_row_index("xswarm-staging"))  # as the operator's arrow keys do


async def test_archived_database_is_marked_and_unarchived_with_u(make_app: AppFactory) -> None:
    org = archived_org()
    app = make_app(org)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert "xswarm-staging ⏸" in names(app)
        assert "xswarm-users" in names(app)
        await select_staging(pilot)
        await ready(pilot)
        table = app.main.query_one("#instances-table", DataTable)
        assert (table.border_title, table.border_subtitle) == archived_hint(
            "xswarm-staging", "staging"
        )
        assert table.border_title == "xswarm-staging is archived — unarchive with u"
        assert table.border_subtitle == "or tursotui group unarchive staging"
        assert table.row_count == 0
        await pilot.press("u")
        await ready(pilot)
        assert org.count("POST", "/groups/staging/unarchive") == 1
        assert any("Group staging unarchived" in str(n.message) for n in app._notifications)


async def test_a_502_of_an_archived_database_is_explained(make_app: AppFactory) -> None:
    org = archived_org()
    groups = org.fail[f"GET {ORG}/groups"][1]["groups"]
    for group in groups:
        group["archived"] = False  # the list does not know yet: the 502 is what tells
    app = make_app(org)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select_staging(pilot)
        await ready(pilot)
        table = app.main.query_one("#instances-table", DataTable)
        assert table.border_title == "xswarm-staging is archived — unarchive with u"
        assert table.border_subtitle == "or tursotui group unarchive staging"
        assert not [n for n in app._notifications if "502" in str(n.message)]


async def test_unarchive_is_refused_in_read_only_mode(make_app: AppFactory) -> None:
    org = archived_org()
    app = make_app(org, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select_staging(pilot)
        await ready(pilot)
        await pilot.press("u")
        await ready(pilot)
        assert org.count("POST", "/unarchive") == 0
        assert any("Read-only mode: unarchiving" in str(n.message) for n in app._notifications)


def test_archived_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    async def run(pilot: Pilot[None]) -> None:
        await keys()(pilot)
        await select_staging(pilot)
        await ready(pilot)
        await pilot.pause()

    assert snap_compare(make_app(archived_org()), terminal_size=(80, 24), run_before=run)

"""The tab registry (``ui/tabs.py``): one ``TabSpec`` per tab drives the main screen's tabs, the keys that show
them, the palette's commands, what each pane is told (refreshes, the selected database) and what is focused."""

from __future__ import annotations

from fixtures.fake_org import FakeOrg
from textual.widgets import Tab, TabbedContent

from tursotui.ui.actions import ACTIONS
from tursotui.ui.tabs import TABS, FollowsSelection, ShowsSnapshot, tab

from .helpers import AppFactory, ready

SIZE = (120, 36)


def test_each_tab_has_one_show_action_with_its_key() -> None:
    assert len({t.id for t in TABS}) == len(TABS)
    app_keys = [k for spec in ACTIONS if spec.scope == "app" for k in spec.key.split(",")]
    assert len(app_keys) == len(set(app_keys)), "two app actions share a key"
    for t in TABS:
        (show,) = [spec for spec in ACTIONS if spec.id == f"app.show_{t.id}"]
        assert (show.key, show.title, show.help, show.scope) == (t.key, t.title, t.help, "app")
        assert show.action == f"show_tab('{t.id}')"
    assert {spec.scope for spec in ACTIONS} <= {"app"} | {t.id for t in TABS}


def test_an_unknown_tab_is_named() -> None:
    try:
        tab("stats")
    except KeyError as exc:
        assert "no tab 'stats' (tabs: databases, usage, browser" in str(exc)
    else:
        raise AssertionError("an unknown tab was accepted")


async def test_the_main_screen_is_built_from_the_registry(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tabs = app.main.query_one(TabbedContent)
        shown = [str(t.label) for t in tabs.query(Tab)]
        assert shown == [t.title for t in TABS]
        built = [spec.id for spec, _ in app.main.built_panes()]
        assert built == [t.id for t in TABS if not t.deferred]
        for spec in TABS:
            app.set_focus(None)  # the SQL editor, focused on its tab, would take the key as text
            await pilot.press(spec.key)
            await ready(pilot)
            assert app.main.active_tab == spec.id
            pane = await app.main.load_tab(spec.id)
            focused = app.focused
            assert focused is not None and focused in app.main.query(spec.focus), spec.id
            assert isinstance(pane, ShowsSnapshot) or not spec.wants_snapshot, spec.id
            assert isinstance(pane, FollowsSelection) or not spec.follows_selection, spec.id
        assert [spec.id for spec, _ in app.main.built_panes()] == [t.id for t in TABS]

"""The app shell: banner, refresh cycle, help overlay, palette, themes, errors, crash files, no tokens."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import TOKEN, FakeOrg
from textual.command import CommandPalette

from tursotui.ops.usage_history import FILE_NAME
from tursotui.support.redact import mask
from tursotui.ui.actions import ACTIONS
from tursotui.ui.dialogs.error import ErrorScreen
from tursotui.ui.dialogs.help import HelpScreen
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.services import LOCAL_HINT
from tursotui.ui.widgets.fleet_table import FleetTable

from .helpers import NOW, AppFactory, ready, shown_banner

SIZE = (120, 36)
LIST = "GET /v1/organizations/acme/databases"


async def test_banner_cloud_org_interval_and_last_refresh(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake, refresh_interval=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = shown_banner(app)
        assert "Turso Cloud · org acme" in text
        assert "every 5 s" in text and "last 12:00:00 UTC" in text
        assert LOCAL_HINT not in text


async def test_another_organization_shows_in_the_banner_and_its_own_history(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    """The setup wizard may pick another organization: the shared client switches, the console follows."""
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        fake.slug = "globex"
        app.services.platform.organization = "globex"
        await app.run_action("refresh")
        await ready(pilot)
        assert "Turso Cloud · org globex" in shown_banner(app)
        series = json.loads((tmp_path / "data" / FILE_NAME).read_text())["series"]
        assert sorted(series) == ["cloud:acme", "cloud:globex"]


async def test_banner_local_with_switch_hint(make_app: AppFactory) -> None:
    app = make_app(FakeOrg.local_turso())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "local Turso · org local" in shown_banner(app)
        assert LOCAL_HINT in shown_banner(app)


async def test_ctrl_r_refreshes(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert fake.calls.count(LIST) == 1
        await pilot.press("ctrl+r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert fake.calls.count(LIST) == 2
        assert app.main.refresh_count == 2


async def test_timer_refreshes_never_overlap(make_app: AppFactory, fake: FakeOrg) -> None:
    fake.delay = 0.15
    app = make_app(fake, refresh_interval=0.02)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(6):
            await pilot.press("ctrl+r")  # manual refreshes during a running one are refused
            await asyncio.sleep(0.1)
        assert fake.max_listing == 1
        assert app.main.refresh_count >= 2  # the one-shot timer was re-armed after each refresh


async def test_a_refresh_asked_for_during_one_runs_right_after_it(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """One refresh at a time: asked for meanwhile (a location added, a database selected), the next starts as
    soon as the running one ends (a timer of a millisecond: Textual's 0 s timers die dividing by zero)."""
    from tursotui.ui.messages import RefreshRequested

    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        fake.delay = 0.2
        await pilot.press("ctrl+r")
        for _ in range(100):  # bounded: the ctrl+r refresh has started (it lasts 0.2 s)
            if app.main.refreshing:
                break
            await asyncio.sleep(0.005)
        assert app.main.refreshing
        app.main.post_message(RefreshRequested())
        for _ in range(100):
            await asyncio.sleep(0.02)
            if app.main.refresh_count >= 3 and not app.main.refreshing:
                break
        assert app.main.refresh_count == 3
        assert fake.max_listing == 1
        assert fake.calls.count(LIST) == 3


async def test_no_refresh_behind_a_modal(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake, refresh_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await asyncio.sleep(
            0.2
        )  # a refresh started just before the modal opened may still be running
        before = fake.calls.count(LIST)
        await asyncio.sleep(0.3)
        assert fake.calls.count(LIST) == before
        await pilot.press("escape")
        await asyncio.sleep(0.3)
        assert fake.calls.count(LIST) > before


def help_text(screen: HelpScreen) -> dict[str, list[tuple[str, str]]]:
    return {s.title: [(e.key, e.description) for e in s.entries] for s in screen.sections}


async def test_help_lists_the_focused_pane_first(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        sections = help_text(app.screen)
        titles = list(sections)
        assert titles[0] == "Databases pane" and titles[-1] == "Everywhere"
        pane_keys = [k for k, _ in sections["Databases pane"]]
        assert pane_keys == ["a", "x", "c", "u", "B", "i", "/", "s", "t", "space", "*", "A", "esc"]
        assert ("^r", "Refresh: Fetch everything again now") in sections["Everywhere"]
        assert any(d.startswith("Cursor down") for _, d in sections["Navigation"])
        await pilot.press("escape")
        await pilot.press("2", "question_mark")
        await pilot.pause()
        sections = help_text(app.screen)
        assert list(sections) == ["Usage pane", "Everywhere"]
        assert ("↓", "Scroll Down") in sections["Usage pane"]
        await pilot.press("question_mark")
        assert app.screen is app.main


async def test_palette_lists_every_action_with_its_key(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        from textual.command import CommandList

        commands = app.screen.query_one(CommandList)
        prompts = [
            str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        ]
        for spec in ACTIONS:
            assert any(p.startswith(f"{spec.title} ({spec.shown_key})") for p in prompts), (
                spec.title
            )
        # search and run one: "copy url" runs the Databases pane's action
        await pilot.press(*"copy url")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.clipboard == "libsql://xswarm-users-acme.turso.io"


@pytest.mark.parametrize("where", ["databases", "sql-editor"])
async def test_ctrl_p_opens_the_command_palette(
    make_app: AppFactory, fake: FakeOrg, where: str
) -> None:
    """Walkthrough 9: ctrl+p (as README and help promise) as well as ":", even in the SQL editor."""
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        if where == "sql-editor":
            await pilot.press("3")
            await ready(pilot)
            assert app.focused is not None and app.focused.id == "sql-editor"
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        if where == "sql-editor":  # the key opened the palette: nothing was typed into the editor
            assert app.main.query_one("#sql-editor").text == ""  # type: ignore[attr-defined]


async def test_palette_switches_to_the_pane_of_an_action(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        spec = next(s for s in ACTIONS if s.id == "databases.copy_url")
        await app.run_spec(spec)
        await pilot.pause()
        assert app.main.active_tab == "databases"
        assert app.clipboard.startswith("libsql://")


@pytest.mark.parametrize("theme", ["ansi-dark", "ansi-light", "nord"])
async def test_configured_theme_is_applied(make_app: AppFactory, fake: FakeOrg, theme: str) -> None:
    app = make_app(fake, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == theme


@pytest.mark.parametrize(
    ("term", "colorterm", "theme", "chosen"),
    [
        ("xterm", None, "auto", "ansi-dark"),  # 16 colours: no orange titles rounded to bright red
        ("screen", None, "auto", "ansi-dark"),
        ("xterm-256color", None, "auto", "textual-dark"),
        ("xterm", "truecolor", "auto", "textual-dark"),
        ("xterm", None, "nord", "nord"),  # a theme the operator chose is kept
    ],
)
async def test_auto_theme_follows_the_terminal_colours(
    make_app: AppFactory,
    fake: FakeOrg,
    monkeypatch: pytest.MonkeyPatch,
    term: str,
    colorterm: str | None,
    theme: str,
    chosen: str,
) -> None:
    monkeypatch.setenv("TERM", term)
    if colorterm is None:
        monkeypatch.delenv("COLORTERM", raising=False)
    else:
        monkeypatch.setenv("COLORTERM", colorterm)
    app = make_app(fake, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == chosen
        assert not any("Unknown theme" in n.message for n in app._notifications)


async def test_unknown_theme_falls_back(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake, theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert any("Unknown theme" in n.message for n in app._notifications)


async def test_refresh_error_is_a_notification_and_e_shows_it(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    fake.fail[LIST] = (401, {"error": f"token {TOKEN} expired [/see the docs]"})  # not markup
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        messages = [n.message for n in app._notifications]
        assert any("401" in m for m in messages)
        assert all(TOKEN not in m for m in messages)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ErrorScreen)
        assert "expired" in app.screen.text and TOKEN not in app.screen.text
        assert mask(TOKEN) in app.screen.text
        await pilot.press("c")
        assert TOKEN not in app.clipboard


async def test_token_never_on_screen(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for keys in ((), ("2",), ("question_mark",)):
            await pilot.press(*keys)
            await pilot.pause()
            assert TOKEN not in app.export_screenshot()
            assert TOKEN[:12] not in app.export_screenshot()


def explode_with_locals(token: str) -> None:
    hidden_local = "".join(["LOCAL", "ONLY", "VALUE"])
    raise RuntimeError(f"unexpected answer for {token} ({len(hidden_local)})")


async def test_crash_writes_a_redacted_file_and_exits(
    make_app: AppFactory,
    fake: FakeOrg,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken_apply(self: DatabasesPane, *snapshot: Any) -> None:
        explode_with_locals(TOKEN)

    monkeypatch.setattr(DatabasesPane, "show_snapshot", broken_apply)
    app = make_app(fake)
    with pytest.raises(Exception, match="unexpected answer"):
        async with app.run_test(size=SIZE) as pilot:
            # The first snapshot lands (and crashes) after the first frame: wait for it, bounded.
            for _ in range(100):
                if app.return_code is not None:
                    break
                await pilot.pause(0.05)
    assert app.return_code == 1
    crash = tmp_path / "data" / "crash-20260615T120000Z.log"
    assert app.crash_file == str(crash)
    text = crash.read_text()
    assert "RuntimeError: unexpected answer for" in text
    assert "explode_with_locals" in text
    assert TOKEN not in text and mask(TOKEN) in text
    assert "LOCALONLYVALUE" not in text  # no locals
    assert NOW.isoformat() in text
    err = capsys.readouterr().err
    assert err == f"tursotui crashed (RuntimeError); details, tokens redacted: {crash}\n"


async def test_first_snapshot_is_in_the_first_frame_and_not_fetched_again(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """The console fetches the dashboard while Textual imports (console.py) and hands it over."""
    import httpx

    from tursotui.ops.snapshot import fetch_snapshot
    from tursotui.platform import PlatformClient

    prefetch = PlatformClient(
        TOKEN, organization=fake.slug, transport=httpx.MockTransport(fake.handler), max_retries=0
    )
    first = await fetch_snapshot(prefetch, NOW)
    await prefetch.aclose()
    lists = fake.count("GET", "/databases")
    app = make_app(fake, first=first)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.main.query_one("#databases-table")
        assert table.row_count == len(first.databases)  # type: ignore[attr-defined]
        await pilot.press("3")  # a lazily mounted tab, pressed at once: focused once it is there
        await ready(pilot)
        assert app.main.active_tab == "sql"
        assert app.focused is not None and app.focused.id == "sql-editor"
        # the handed-over snapshot was not fetched again
        assert fake.count("GET", "/databases") == lists


async def test_refreshed_tables_keep_small_render_caches(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """Tables updated on every refresh must not fill Textual's 10,000-cell render caches (soak benchmark)."""
    from tursotui.ui.widgets.tables import RENDER_CACHE_LIMITS

    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("2")  # the Usage tab is built when first shown
        await ready(pilot)
        table = app.main.query_one("#instances-table")
        for name, limit in RENDER_CACHE_LIMITS:
            assert getattr(table, name).maxsize == limit, name
        for selector in ("#databases-table", "#usage-databases"):  # virtualised: no cell caches
            assert isinstance(app.main.query_one(selector), FleetTable)


async def test_hidden_tabs_are_built_only_when_first_shown(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """Cold start: only the dashboard is mounted; each other tab's pane is imported and mounted on demand."""
    from tursotui.ui.tabs import TABS
    from tursotui.ui.widgets.deferred import DeferredPane

    deferred = sum(1 for spec in TABS if spec.deferred)

    def unbuilt() -> int:
        return sum(
            1 for pane in app.main.query(DeferredPane) if not pane.built and not pane.children
        )

    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert unbuilt() == deferred
        assert not app.main.query("UsagePane") and not app.main.query("SqlConsolePane")
        await pilot.press("3")
        await ready(pilot)
        assert app.main.query("SqlConsolePane")
        assert unbuilt() == deferred - 1
        # built on first show, with the snapshot already fetched
        await app.run_action("show_tab('usage')")
        await ready(pilot)
        assert "xswarm-users" in str(app.main.query_one("#usage-databases").get_row_at(0))
        await app.run_action("command_palette")  # a palette action on a tab never shown builds it
        await pilot.pause()
        await app.run_spec(next(spec for spec in ACTIONS if spec.scope == "backups"))
        assert app.main.query("BackupsPane") and app.main.active_tab == "backups"


async def test_switching_tabs_does_not_leak_footer_keys(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """Textual's Footer left every recomposed key alive (soak benchmark): ours keeps only the shown ones."""
    import gc

    from textual.widgets._footer import FooterKey

    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for n in range(40):
            await pilot.press("2" if n % 2 else "1")
            await pilot.pause()
        gc.collect()
        shown = len(app.main.query(FooterKey))
        alive = sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))
    assert shown > 0
    assert alive <= 2 * shown  # 40 switches of the old Footer: ~20 keys more each


async def test_the_palette_offers_no_screenshot(make_app: AppFactory, fake: FakeOrg) -> None:
    """A dialog that shows a new token once must never be saved to an SVG through the palette."""
    from tursotui.ui.palette import ActionCommands

    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [label for label, _, _ in ActionCommands(app.screen)._entries()]
        assert "Theme" in titles and "Screenshot" not in titles

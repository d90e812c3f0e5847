"""``TursoApp``: the Textual console for Turso (``TursoApp(services).run()``).

Everything comes from the injected :class:`~tursotui.ui.services.Services`; the app talks to the backend only
through ``services.platform``. Unexpected errors end in a redacted crash file, never a traceback with locals.
The app is the wizards' :class:`~tursotui.ui.host.WizardHost`: the organization's state it hands them is the
main screen's, and what they post (a refresh, a selected database) goes to the main screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine, Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import TabPane
from textual.worker import WorkerFailed

from tursotui.ops.snapshot import OrgSnapshot
from tursotui.support.crash import redact, write_crash_file
from tursotui.ui.actions import ActionSpec, bindings_for
from tursotui.ui.main.screen import MainScreen
from tursotui.ui.messages import DatabaseSelected, ErrorOccurred, RefreshRequested
from tursotui.ui.services import LOCAL_HINT, Services

if TYPE_CHECKING:
    import httpx

    from tursotui.ops.latency import LatencyProbe
    from tursotui.ui.dialogs.help import HelpSection

# Dialogs, the palette's provider and the latency probe are imported when first used: the first frame has
# none of them (tests/architecture/test_lazy_imports.py).

FALLBACK_THEME = "textual-dark"
SIXTEEN_COLOUR_THEME = "ansi-dark"


def chosen_theme(name: str, available: Iterable[str], color_system: str | None) -> str:
    """The theme to use: ``auto`` picks ansi-dark on a 16-colour terminal (``standard``: TERM=xterm, screen,
    linux…), where textual-dark's colours are rounded to the nearest of 16 and its orange titles turn bright
    red, reading like errors; textual-dark otherwise. An unknown name falls back to textual-dark."""
    if name == "auto":
        return SIXTEEN_COLOUR_THEME if color_system in ("standard", "windows") else FALLBACK_THEME
    return name if name in set(available) else FALLBACK_THEME


def _action_commands() -> type[Provider]:
    from tursotui.ui.palette import ActionCommands

    return ActionCommands


class TursoApp(App[None]):
    """The console. Construct with :class:`Services`; ``run()`` returns when the user quits."""

    TITLE = "tursotui"
    # The main screen is the default screen (get_default_screen), whose CSS_PATH Textual does not read: its
    # stylesheet is the app's too, read once at start, in the order it had (after the app's own).
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "main/main.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings_for("app"),
        Binding("f1", "help", "Help", show=False, id="app.help_f1"),
        # ":" is the palette's action key; ctrl+p too (Textual adds its own only when no key has the action),
        # before any widget (an editor or an input) takes it. No description: ? lists ":", and says "ctrl+p or :".
        Binding(
            "ctrl+p",
            "command_palette",
            "",
            show=False,
            key_display="^p",
            priority=True,
            tooltip="Open the command palette",
            id="app.palette_ctrl_p",
        ),
    ]
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        _action_commands  # our actions, then Textual's system commands, in a fixed order
    }

    def __init__(self, services: Services, first: OrgSnapshot | None = None) -> None:
        """``first``: a snapshot fetched while the console was starting (shown in the first frame)."""
        super().__init__()
        self.services = services
        self._first = first
        self.last_error: tuple[str, str] | None = None
        self.crash_file: str | None = None
        self.crash_line: str | None = None
        self._http: httpx.AsyncClient | None = None
        self.first_frame = asyncio.Event()
        """Set once the main screen's first frame is on screen."""
        self.theme = chosen_theme(services.theme, self.available_themes, self.console.color_system)

    # -- lifecycle -------------------------------------------------------------------------------------------

    def get_default_screen(self) -> MainScreen:
        """The main screen is the first screen: no blank screen is composed, styled and covered first."""
        first, self._first = self._first, None
        return MainScreen(
            self.services, self._probe(), first, drawn=self.first_frame.set, width=self.size.width
        )

    def on_mount(self) -> None:
        if self.services.theme not in (*self.available_themes, "auto"):
            self.notify(
                f"Unknown theme {self.services.theme!r}: using {FALLBACK_THEME}",
                severity="warning",
                markup=False,
            )

    def _probe(self) -> LatencyProbe:
        if self.services.latency_probe is not None:
            return self.services.latency_probe
        from tursotui.ops.latency import HttpLatencyProbe

        return HttpLatencyProbe(self._probe_client)

    def _probe_client(self) -> httpx.AsyncClient:
        # One client shared by all probes; never the platform client (it may be an in-process ASGI transport).
        if self._http is None:
            import httpx

            from tursotui.support.loopback import loopback_only_tls
            from tursotui.support.tls import verified_tls

            # The local Turso's instances are all on 127.0.0.1 over plain HTTP: no CA bundle to load; Turso
            # Cloud's: the process's one (support/tls.py), not another copy.
            verify = loopback_only_tls() if self.services.target == "local" else verified_tls()
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(3.0), follow_redirects=False, verify=verify
            )
        return self._http

    async def on_unmount(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    @property
    def main(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not mounted")

    # -- the organization's state (the main screen owns it; WizardHost) --------------------------------------

    @property
    def snapshot(self) -> OrgSnapshot | None:
        try:
            return self.main.snapshot
        except LookupError:
            return None

    @property
    def selected(self) -> str | None:
        try:
            return self.main.selected
        except LookupError:
            return self.services.database_name or None

    def on_database_selected(self, event: DatabaseSelected) -> None:
        """From a wizard (the main screen handles its panes' own): the main screen selects it."""
        with contextlib.suppress(LookupError):
            self.main.post_message(DatabaseSelected(event.name))

    def on_refresh_requested(self, event: RefreshRequested) -> None:
        with contextlib.suppress(LookupError):
            self.main.post_message(RefreshRequested())

    def backend_restarting(self, why: str, ready: asyncio.Future[tuple[str, ...]]) -> None:
        """The local Turso's process died (``why``) and is starting again on the same port. Once it serves, ONE
        message says so: "the local Turso stopped unexpectedly (…) and was restarted on the same ports". Cleaning
        up after the dead process (the sqld it left running, stopped by the new one's start) is part of that
        message, not a notification each; anything else its start had to say (a port that moved) is added to it.
        The refresh waits for it meanwhile ("starting…" in the banner); a failed restart is the refresh's error.
        """

        async def restarted() -> tuple[str, ...]:
            notices = await ready
            cleanup = [n for n in notices if "left-over sqld" in n or n.startswith("sqld pid ")]
            others = [n for n in notices if n not in cleanup]
            text = f"{why[:1].upper()}{why[1:]} and was restarted"
            text += f": {'; '.join(others)}" if others else " on the same ports"
            if cleanup:
                were = "was" if len(cleanup) == 1 else "were"
                text += f"; the {len(cleanup)} sqld it left running {were} stopped"
            self.notify(text, title="Local Turso", severity="warning", timeout=15, markup=False)
            return ()  # said above: the refresh has no start notices to show

        waiting = asyncio.ensure_future(restarted())
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
        self.services.backend_ready = waiting
        with contextlib.suppress(LookupError):
            self.main.post_message(RefreshRequested())

    # -- actions ---------------------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        if not self.main.refresh_now(manual=True):
            self.notify("A refresh is already running", timeout=2, markup=False)

    def action_show_tab(self, tab: str) -> None:
        if self.screen is self.main:
            self.main.show_tab(tab)

    def action_restore(self) -> None:
        self.run_worker(self._restore(), group="restore", exclusive=True, exit_on_error=False)

    async def _restore(self) -> None:
        from tursotui.ui.wizards.restore import run_restore_wizard

        before = await self._configured_database()
        await run_restore_wizard(self)
        after = await self._configured_database()
        if after and after != before:  # it pointed config.toml at the restored database
            self.services.database_name = after
            self.post_message(DatabaseSelected(after))

    async def _configured_database(self) -> str | None:
        """The database config.toml points at now (None without a config.toml, or when it cannot be read)."""
        from tursotui.config import ConfigError, load_config

        path = self.services.config_path
        if path is None:
            return None
        try:
            config = await asyncio.to_thread(load_config, path)
        except ConfigError as exc:
            self.notify(
                f"Could not read which database config.toml points at: {exc}",
                severity="warning",
                timeout=8,
                markup=False,
            )
            return None
        return config.turso.database_name or None

    def action_setup(self) -> None:
        from tursotui.ui.wizards.setup import WIZARD_GROUP, run_setup_wizard

        self._start_wizard(lambda: run_setup_wizard(self), WIZARD_GROUP, "setup")

    def action_import_data(self) -> None:
        from tursotui.ui.wizards.importing import WIZARD_GROUP, run_import_wizard

        self._start_wizard(lambda: run_import_wizard(self), WIZARD_GROUP, "import")

    def _start_wizard(
        self, wizard: Callable[[], Coroutine[Any, Any, None]], group: str, what: str
    ) -> None:
        """Run ``wizard`` in a worker, unless one of its kind is still open."""
        if any(w.group == group and not w.is_finished for w in self.workers):
            self.notify(f"The {what} wizard is already open", timeout=2, markup=False)
            return
        self.run_worker(wizard(), group=group, exit_on_error=False)

    def action_last_error(self) -> None:
        from tursotui.ui.dialogs.error import ErrorScreen

        if self.last_error is None:
            self.notify("No errors so far", timeout=2, markup=False)
            return
        self.clear_notifications()
        self.push_screen(ErrorScreen(*self.last_error))

    def action_help(self) -> None:
        from tursotui.ui.dialogs.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        s = self.services
        note = s.banner + (f" — {LOCAL_HINT}" if s.target == "local" else "")
        if s.read_only:
            note += " · read-only mode: changes are refused"
        self.push_screen(HelpScreen(help_sections(self.screen), note))

    async def run_spec(self, spec: ActionSpec) -> None:
        """Run an action from the palette: pane actions switch to their pane first."""
        if spec.scope == "app":
            await self.run_action(spec.action)
            return
        self.main.show_tab(spec.scope)
        await self.run_action(spec.action, await self.main.load_tab(spec.scope))

    # -- errors ----------------------------------------------------------------------------------------------

    def on_error_occurred(self, event: ErrorOccurred) -> None:
        from tursotui.ui.dialogs.error import ErrorScreen

        text = redact(event.text, self.services.secrets)
        self.last_error = (event.title, text)
        if event.modal:
            self.push_screen(ErrorScreen(event.title, text))
        else:
            first = text.splitlines()[0] if text else event.title
            self.notify(
                f"{first}\n(e: details)",
                title=event.title,
                severity="error",
                timeout=8,
                markup=False,
            )

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error: write a redacted crash file (no locals) and exit with one line naming it."""
        self._return_code = 1
        if self._exception is None:  # Pilot re-raises it so tests see the failure
            self._exception = error
            self._exception_event.set()
        original: BaseException = error
        if isinstance(error, WorkerFailed) and error.error is not None:
            original = error.error
        try:
            path = write_crash_file(
                self.services.data_dir, original, self.services.secrets, self.services.clock()
            )
        except Exception as exc:  # even the crash file failed: still no locals, no tokens
            line = (
                f"tursotui crashed ({type(original).__name__}); no crash file: {type(exc).__name__}"
            )
        else:
            self.crash_file = str(path)
            line = f"tursotui crashed ({type(original).__name__}); details, tokens redacted: {path}"
        self.crash_line = line
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """After the terminal is restored: the crash line, whole (never Textual's traceback with locals)."""
        if self.crash_line is not None:
            self._exit_renderables.clear()
            print(self.crash_line, file=sys.stderr)
            return
        super()._print_error_renderables()


def help_sections(screen: Screen[object]) -> list[HelpSection]:
    """The keys of the focused pane (its actions, then the focused widget's), then the global ones."""
    from tursotui.ui.dialogs.help import HelpEntry, HelpSection

    focused = screen.focused
    chain: list[DOMNode] = list(focused.ancestors_with_self) if focused else []
    pane = next((n for n in chain if isinstance(n.parent, TabPane)), None)  # a tab's pane
    local: list[HelpEntry] = []
    widget: list[HelpEntry] = []
    everywhere: list[HelpEntry] = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description:
            continue
        shown = binding.key_display or screen.app.get_key_display(binding)
        text = binding.description
        if binding.tooltip and binding.tooltip != text:
            text = f"{text}: {binding.tooltip}"
        entry = HelpEntry(shown or key, text)
        if active.node is pane:
            local.append(entry)
        elif isinstance(active.node, App | Screen):
            everywhere.append(entry)
        else:
            widget.append(entry)
    sections: list[HelpSection] = []
    title = getattr(pane, "TITLE", "") if pane is not None else ""
    if local:
        sections.append(HelpSection(f"{title} pane", tuple(local)))
    if widget:
        sections.append(HelpSection("Navigation", tuple(widget)))
    sections.append(HelpSection("Everywhere", tuple(everywhere)))
    return sections

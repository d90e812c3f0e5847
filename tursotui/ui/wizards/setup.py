"""The guided first-time setup inside the console (``S``): the guide's Quick Setup Checklist on the same
step engine as ``tursotui setup`` (:mod:`tursotui.ops.setup`), keyboard only.

The flow runs in one worker: the form (:class:`~tursotui.ui.wizards.setup_form.SetupFormScreen`) awaited with
``push_screen_wait``, then :class:`SetupProgressScreen`, which runs the steps in its own worker and lists them
with their status; ``r`` re-runs (every step detects what is already done and skips it, so a failed run
resumes where it stopped), esc closes. A successful run refreshes the dashboard and selects the database it set
up. The wizard runs against a :class:`~tursotui.ui.host.WizardHost` (the app): the form is filled from the
organization's last snapshot when it is the organization the console shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tursotui.config import ConfigError
from tursotui.ops.setup import (
    CLOUD_ACCESS_HELP,
    Setup,
    SetupPlan,
    StepResult,
    location_choices,
)
from tursotui.platform import PlatformError
from tursotui.ui.messages import DatabaseSelected, ErrorOccurred, RefreshRequested
from tursotui.ui.wizards.setup_form import CSS, FormContext, SetupFormScreen

if TYPE_CHECKING:
    from tursotui.ops.snapshot import OrgSnapshot
    from tursotui.ui.host import WizardHost
    from tursotui.ui.services import Services

StepState = Literal["pending", "running", "done", "skipped", "failed"]
MARKS: dict[StepState, str] = {
    "pending": " ",
    "running": "…",
    "done": "✔",
    "skipped": "·",
    "failed": "✘",
}
WORDS: dict[StepState, str] = {
    "pending": "",
    "running": "running",
    "done": "done",
    "skipped": "skipped",
    "failed": "FAILED",
}
Runner = Callable[[Callable[[str], None], Callable[[StepResult], None]], Awaitable[object]]
"""``runner(on_start, on_step)``: one run of the checklist, reporting each step as it starts and ends."""
READ_ONLY_REFUSAL = (
    "Read-only mode: setup is disabled (it creates a database, mints a token and writes "
    "config.toml and .env)"
)
WIZARD_GROUP = "setup"
NEEDS_SETTINGS = (
    "Setup needs the resolved config (config.toml and .env paths, the target): "
    "start the console with `tursotui`, which resolves them"
)


def statement_line(statement: str) -> str:
    """One line per statement: whitespace collapsed (the row ellipsizes what does not fit)."""
    return " ".join(statement.split())


class StepRow(Vertical):
    """One checklist step: mark, title and status, the detail, then the statements applied (one line each)."""

    def __init__(self, key: str, title: str) -> None:
        super().__init__(id=f"step-{key.replace('_', '-')}", classes="setup-step -pending")
        self.key = key
        self.title = title
        self.state: StepState = "pending"
        self.detail = ""
        self.statements: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(self._head(), classes="step-head")
        yield Static("", classes="step-detail", markup=False)
        yield Static("", classes="step-statements", markup=False)

    def set_state(
        self, state: StepState, detail: str = "", statements: list[str] | None = None
    ) -> None:
        self.remove_class(f"-{self.state}")
        self.state, self.detail, self.statements = state, detail, list(statements or [])
        self.add_class(f"-{state}")
        self.query_one(".step-head", Static).update(self._head())
        said = self.query_one(".step-detail", Static)
        said.update(self.detail)
        said.display = bool(self.detail)
        shown = self.query_one(".step-statements", Static)
        shown.update("\n".join(statement_line(s) for s in self.statements))
        shown.display = bool(self.statements)

    def _head(self) -> Text:
        text = Text()
        text.append(f"{MARKS[self.state]} {self.title}", style="bold")
        if WORDS[self.state]:
            text.append(f" · {WORDS[self.state]}")
        return text

    @property
    def plain(self) -> str:
        """What the row says, as text."""
        lines = [
            f"{MARKS[self.state]} {self.title}"
            + (f" · {WORDS[self.state]}" if WORDS[self.state] else "")
        ]
        if self.detail:
            lines.append(self.detail)
        lines.extend(statement_line(s) for s in self.statements)
        return "\n".join(lines)


class SetupProgressScreen(ModalScreen[bool]):
    """The checklist as it runs. Dismissed with True when the last run finished without a failure."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rerun", "Re-run", tooltip="Run the checklist again: done steps are skipped, a failed one resumes", id="setup_progress.rerun"),
        Binding("escape", "close", "Close", tooltip="Close (not while a step runs)", id="setup_progress.close"),
    ]  # fmt: skip

    def __init__(
        self,
        title: str,
        steps: list[tuple[str, str]],
        runner: Runner,
        *,
        help_on_token_failure: str = "",
        redact: Callable[[str], str] = str,
    ) -> None:
        super().__init__()
        self.setup_title = title
        self.redact = redact
        """Scrubs tokens from texts the screen makes itself (the runner's results come scrubbed)."""
        self.steps = steps
        self.runner = runner
        self.help_on_token_failure = help_on_token_failure
        self.running = False
        self.runs = 0
        self.succeeded = False
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="setup-progress"):
            yield Label(self.setup_title, classes="dialog-title", markup=False)
            with VerticalScroll(id="setup-steps"):
                for key, title in self.steps:
                    yield StepRow(key, title)
                yield Static("", id="setup-token-help", markup=False)
            yield Static("", id="setup-summary", markup=False)
            yield Label("", id="setup-hint", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#setup-steps", VerticalScroll).focus()
        self.start()

    # -- state -----------------------------------------------------------------------------------------------

    def row(self, key: str) -> StepRow:
        return self.query_one(f"#step-{key.replace('_', '-')}", StepRow)

    @property
    def rows(self) -> list[StepRow]:
        return list(self.query(StepRow))

    def _started(self, key: str) -> None:
        self.current = key
        row = self.row(key)
        row.set_state("running")
        self.query_one("#setup-steps", VerticalScroll).scroll_to_widget(row, animate=False)

    def _finished(self, result: StepResult) -> None:
        self.row(result.key).set_state(result.status, result.detail, result.statements)

    def _hint(self) -> None:
        summary = self.query_one("#setup-summary", Static)
        hint = self.query_one("#setup-hint", Label)
        failed = [r for r in self.rows if r.state == "failed"]
        summary.set_class(bool(failed), "-failed")
        summary.set_class(self.succeeded, "-done")
        if self.running:
            summary.update(
                f"Run {self.runs}: running… each step is atomic; nothing is left half-written"
            )
            hint.update("wait for the current step")
        elif failed:
            summary.update(
                f"Stopped at “{failed[0].title}”. Fix the cause, then r resumes: "
                "steps already done are detected and skipped."
            )
            hint.update("r resume · esc close")
        else:
            done = sum(1 for r in self.rows if r.state == "done")
            skipped = sum(1 for r in self.rows if r.state == "skipped")
            summary.update(
                f"Run {self.runs} finished: {done} done, {skipped} skipped (already done or not asked)."
            )
            hint.update("r re-run · esc close")

    # -- running ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.runs += 1
        self.succeeded = False
        self.current = None
        for row in self.rows:
            row.set_state("pending")
        self.query_one("#setup-token-help", Static).display = False
        self._hint()
        self._run()

    @work(exclusive=True, group="setup-steps", exit_on_error=False)
    async def _run(self) -> None:
        try:
            await self.runner(self._started, self._finished)
        except (ConfigError, OSError) as exc:  # a step's file could not be read or written
            self._fail_current(str(exc))
        except Exception as exc:  # a bug: show it on the step (resumable) and keep it for `e`
            self._fail_current(f"unexpected {type(exc).__name__}: {exc}")
            self.post_message(ErrorOccurred("Setup step failed unexpectedly", repr(exc)))
        finally:
            self.running = False
            self._after_run()

    def _fail_current(self, detail: str) -> None:
        key = self.current or self.steps[0][0]
        self._finished(StepResult(key, self.row(key).title, "failed", self.redact(detail)))

    def _after_run(self) -> None:
        states = [row.state for row in self.rows]
        self.succeeded = "failed" not in states and "running" not in states
        token_failed = self.row(self.steps[0][0]).state == "failed"
        if token_failed and self.help_on_token_failure:
            help_text = self.query_one("#setup-token-help", Static)
            help_text.update(self.help_on_token_failure)
            help_text.display = True
        self._hint()

    # -- keys ------------------------------------------------------------------------------------------------

    def action_rerun(self) -> None:
        if self.running:
            self.notify("Setup is running: wait for it to finish", timeout=3, markup=False)
            return
        self.start()

    def action_close(self) -> None:
        if self.running:
            self.notify(
                "Setup is running: close it when the current run finishes", timeout=3, markup=False
            )
            return
        self.dismiss(self.succeeded)


# -- the flow ---------------------------------------------------------------------------------------------


async def load_context(services: Services, snapshot: OrgSnapshot | None = None) -> FormContext:
    """What the form offers: the organizations, locations (closest first), groups and databases. The groups
    and databases of the organization the console shows come from its last ``snapshot``."""
    settings = services.settings
    assert settings is not None
    platform = services.platform
    local = settings.target == "local"
    organizations = tuple(o.slug for o in await platform.list_organizations())
    configured = platform.organization or settings.organization
    if configured in organizations:
        organization = configured
    else:
        organization = organizations[0] if len(organizations) == 1 else ""
    locations = await location_choices(platform, local=local)
    groups: dict[str, str] = {}
    databases: frozenset[str] = frozenset()
    shown = snapshot is not None and snapshot.groups_known and organization == platform.organization
    if shown and snapshot is not None:
        groups = {name: g.primary for name, g in snapshot.groups.items()}
        databases = frozenset(d.name for d in snapshot.databases)
    elif organization:
        groups = {g.name: g.primary for g in await platform.list_groups(org=organization)}
        databases = frozenset(d.name for d in await platform.list_databases(org=organization))
    return FormContext(
        target="local" if local else "cloud",
        organizations=organizations,
        organization=organization,
        locations=locations,
        groups=groups,
        databases=databases,
        database=settings.config.turso.database_name or "xswarm-users",
        api_token=settings.api_token,
        config_path=settings.config_path,
        env_path=settings.env_path,
    )


def progress_screen(services: Services, plan: SetupPlan) -> SetupProgressScreen:
    """The progress screen running ``plan`` with :class:`~tursotui.ops.setup.Setup` on the app's backend."""
    from tursotui.backend import Backend

    settings = services.settings
    assert settings is not None
    backend = Backend(settings, services.platform)

    def remember(token: str | None) -> None:
        if token and token not in services.secrets:
            services.secrets.add(token)

    async def runner(
        on_start: Callable[[str], None], on_step: Callable[[StepResult], None]
    ) -> object:
        setup = Setup(backend, plan)

        def report(result: StepResult) -> None:
            remember(setup.state.token)
            result.detail = services.secrets.scrub(result.detail)
            on_step(result)

        try:
            return await setup.run(report, on_start=on_start)
        finally:
            remember(setup.state.token)

    where = "Turso Cloud" if settings.target == "cloud" else "local Turso"
    steps = Setup(backend, plan).titles
    return SetupProgressScreen(
        f"Setup · {plan.database} on {where} · org {plan.organization or '?'}",
        steps,
        runner,
        help_on_token_failure=CLOUD_ACCESS_HELP if settings.target == "cloud" else "",
        redact=services.secrets.scrub,
    )


async def run_setup_wizard(host: WizardHost) -> None:
    """The whole wizard (run it in a worker): refuse in read-only mode, form, progress, refresh and select the
    database set up (config points at it now)."""
    s = host.services
    if s.read_only:
        host.notify(READ_ONLY_REFUSAL, severity="warning", timeout=6, markup=False)
        return
    if s.settings is None:
        host.notify(NEEDS_SETTINGS, severity="warning", timeout=6, markup=False)
        return
    try:
        context = await load_context(s, host.snapshot)
    except PlatformError as exc:
        text = str(exc)
        if s.settings.target == "cloud":
            text += "\n\n" + CLOUD_ACCESS_HELP
        host.post_message(ErrorOccurred("Setup cannot start: Platform API error", text, modal=True))
        return
    plan = await host.push_screen_wait(SetupFormScreen(context))
    if plan is None:
        host.notify("Setup cancelled: nothing changed", timeout=3, markup=False)
        return
    succeeded = await host.push_screen_wait(progress_screen(s, plan))
    if not succeeded:
        host.notify(
            "Setup did not finish: press S again to resume (done steps are skipped)",
            severity="warning",
            timeout=6,
            markup=False,
        )
        return
    s.database_name = plan.database
    host.notify(f"Setup finished: {plan.database} is ready", timeout=5, markup=False)
    host.post_message(RefreshRequested())
    host.post_message(DatabaseSelected(plan.database))

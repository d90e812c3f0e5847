"""The import / migration wizard inside the console (``I``): the xSwarm guide's "Migration from SQLite" on the
same ops as ``tursotui import`` (:mod:`tursotui.ops.importer`), keyboard only, in one worker.

source file → target (a NEW database, or an EXISTING one: the one selected in the Databases pane first) →
preview (tables and row counts; for an existing database what is there and every conflict, before anything is
written; conflicts block, as in the CLI) → typed confirmation → progress (esc cancels: the ops layer rolls the
one transaction back, or deletes the new database) → result, and a dashboard refresh.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tursotui.libsql import LibsqlError
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.import_source import ImportSource, check_source_path, open_source
from tursotui.ops.importer import (
    ImportPlan,
    ImportProgress,
    ImportResult,
    import_into,
    import_new,
    plan_into,
    plan_new,
)
from tursotui.ops.names import check_name
from tursotui.platform import Database, PlatformError
from tursotui.support import humanize as fmt
from tursotui.support.humanize import home_path
from tursotui.ui.dialogs.choices import Choice
from tursotui.ui.messages import ErrorOccurred, RefreshRequested
from tursotui.ui.wizards.import_screens import (
    PreviewScreen,
    Report,
    ResultScreen,
    Task,
    TaskScreen,
)
from tursotui.ui.wizards.restore_steps import StepScreen

if TYPE_CHECKING:
    from tursotui.libsql import HranaClient
    from tursotui.ui.app import TursoApp

T = TypeVar("T")
STEPS = ("Source", "Target", "Preview", "Confirm", "Import", "Result")
WIZARD_GROUP = "import"
READ_ONLY_REFUSAL = (
    "Read-only mode: import is disabled (it creates a database or writes rows into one)"
)


def step_title(index: int, title: str) -> str:
    return f"Import · step {index + 1} of {len(STEPS)} · {title}"


class Cancelled(Exception):
    """The user left the wizard (esc, or a choice that writes nothing)."""

    def __init__(self, message: str = "Import cancelled: nothing was written") -> None:
        super().__init__(message)
        self.message = message


async def _ask(app: TursoApp, screen: StepScreen | PreviewScreen) -> str:
    answer = await app.push_screen_wait(screen)
    if answer is None:
        raise Cancelled
    return answer


async def _run(
    app: TursoApp, title: str, text: str, task: Task[T], cancel_text: str, final: str = ""
) -> T:
    """Run ``task`` on a :class:`TaskScreen`; its error is raised here, a cancellation is :class:`Cancelled`."""
    outcome = await app.push_screen_wait(
        TaskScreen(title, text, task, cancel_text=cancel_text, final_phase=final)
    )
    if outcome.error is not None:
        raise outcome.error
    if outcome.value is None:
        raise Cancelled
    return outcome.value


# -- checks (pure: the steps call them as you type) ---------------------------------------------------------


def describe_source_path(text: str) -> str:
    """What the typed path is (a SQLite file or, as far as can be told without loading it, a SQL dump)."""
    path = Path(text.strip()).expanduser()
    kind, size = check_source_path(path)
    what = "SQLite database" if kind == "sqlite" else "text file, read as a SQL dump"
    return f"{what} · {fmt.size(size)}"


def check_new_database(text: str, existing: set[str]) -> str:
    name = check_name(text.strip(), "new database")
    if name in existing:
        raise InputError(
            f"database {name} already exists: pick another name, or import into it as an existing database"
        )
    return name


def default_name(path: Path, existing: set[str]) -> str:
    """The file's stem as a database name (``old_Database.db`` → ``old-database``), if free and valid."""
    stem = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")[:40].strip("-")
    try:
        return check_new_database(stem, existing)
    except InputError:
        return ""


# -- the steps ------------------------------------------------------------------------------------------------


async def _source(app: TursoApp) -> ImportSource:
    value, warning = "", ""
    while True:
        typed = await _ask(
            app,
            StepScreen(
                step_title(0, "Source"),
                "The SQLite file or .sql dump (sqlite3 old.db .dump > data.sql) to import; ~ is your "
                "home directory. Nothing is written before you confirm.",
                value=value,
                placeholder="~/old-database.db",
                check=describe_source_path,
                warning=warning,
            ),
        )
        path = Path(typed).expanduser()  # noqa: ASYNC240 (no I/O: a home directory lookup)
        try:
            _, size = check_source_path(path)

            def read(
                report: Report, path: Path = path, size: int = size
            ) -> Awaitable[ImportSource]:
                return open_source(
                    path, progress=lambda n: report(ImportProgress("reading", n, size))
                )

            return await _run(
                app,
                step_title(0, "Source"),
                f"Reading {home_path(path)}: integrity check, tables and row counts…",
                read,
                "Cancelling: the scratch copy is removed…",
            )
        except InputError as exc:
            app.notify(exc.message, title="Not imported", severity="error", timeout=8, markup=False)
            value, warning = typed, exc.message


async def _target(
    app: TursoApp, source: ImportSource, databases: list[Database]
) -> tuple[str, str]:
    """``("new", name)`` or ``("into", name)``."""
    s = app.services
    names = {d.name for d in databases}
    what = f"{source.total_rows:,} rows in {len(source.tables)} tables of {home_path(source.path)}"
    kind = await _ask(
        app,
        StepScreen(
            step_title(1, "Target"),
            f"Import {what} into:",
            choices=[
                Choice("new", "a NEW database (atomic: it appears complete or not at all)"),
                Choice(
                    "into",
                    "an EXISTING database (one transaction; conflicts shown first)",
                    disabled=not databases,
                ),
            ],
        ),
    )
    if kind == "new":
        name = await _ask(
            app,
            StepScreen(
                step_title(1, "New database"),
                "Name of the NEW database; lowercase letters, numbers and dashes.",
                value=default_name(source.path, names),
                check=lambda v: f"{check_new_database(v, names)} is free and valid",
            ),
        )
        return "new", check_new_database(name, names)
    first = _selected(app) or s.database_name
    ordered = sorted(databases, key=lambda d: (d.name != first, d.name))
    name = await _ask(
        app,
        StepScreen(
            step_title(1, "Existing database"),
            "Which database? Its tables and keys are read to find conflicts; nothing is written yet.",
            choices=[Choice(d.name, f"{d.name:<28} group {d.group or '–'}") for d in ordered],
        ),
    )
    return "into", name


def _selected(app: TursoApp) -> str | None:
    from tursotui.ui.panes.databases import DatabasesPane

    try:
        return app.main.query_one(DatabasesPane).selected_name
    except Exception:  # no dashboard (a host app in tests) or no row yet
        return None


async def _preview(app: TursoApp, plan: ImportPlan) -> bool:
    """True: go on; False: choose another target. Conflicts block, as in the CLI."""
    if plan.conflicts:
        choices = [
            Choice("retarget", "Choose another target (nothing was written)"),
            Choice("close", "Close the wizard (nothing was written)"),
        ]
    else:
        verb = "Create" if plan.mode == "new" else "Write"
        choices = [
            Choice("import", f"{verb} {plan.total_rows:,} rows into {plan.target}: confirm next"),
            Choice("retarget", "Choose another target"),
        ]
    answer = await _ask(app, PreviewScreen(step_title(2, "Preview"), plan, choices))
    if answer == "close":
        raise Cancelled(
            f"Nothing imported: {len(plan.conflicts)} conflict(s) with database {plan.target}"
        )
    return answer == "import"


async def _confirm(app: TursoApp, plan: ImportPlan) -> None:
    if plan.mode == "new":
        text = (
            f"Create database {plan.target} (group {plan.group}) with {plan.total_rows:,} rows "
            f"from {home_path(plan.source.path)}.\nIt counts against the databases quota."
        )
    else:
        text = (
            f"Write {plan.total_rows:,} rows into the EXISTING database {plan.target} in one "
            "transaction (it holds the write lock while it runs; esc rolls it back)."
        )

    def typed(value: str) -> str:
        if value.strip() != plan.target:
            raise InputError(f"type {plan.target} exactly to confirm")
        return "enter imports"

    await _ask(
        app,
        StepScreen(
            step_title(3, "Confirm"),
            f"{text}\nType {plan.target} to confirm:",
            placeholder=plan.target,
            check=typed,
        ),
    )


async def _import(
    app: TursoApp, plan: ImportPlan, client: HranaClient | None
) -> ImportResult | None:
    """The import itself; None when it was cancelled (the target is left as it was)."""
    s = app.services
    title = step_title(4, "Import")
    try:
        if client is None:
            return await _run(
                app,
                title,
                f"Creating {plan.target} from {home_path(plan.source.path)}…",
                lambda report: import_new(s.platform, plan, progress=report),
                f"Cancelling: {plan.target} is deleted again…",
            )
        return await _run(
            app,
            title,
            f"Writing into {plan.target} in one transaction…",
            lambda report: import_into(client, plan, progress=report),
            "Cancelling: the batch in flight finishes, then the transaction is rolled back…",
            final="checking",
        )
    except Cancelled:
        what = "it was not created" if plan.mode == "new" else "it is unchanged"
        app.notify(
            f"Import cancelled: nothing was written to {plan.target} ({what})",
            severity="warning",
            timeout=6,
            markup=False,
        )
        return None


Done = tuple[ImportPlan, ImportResult | None]
"""The plan and its result (None: cancelled, nothing written)."""


async def _attempt(app: TursoApp, source: ImportSource, mode: str, name: str) -> Done | None:
    """Preview, confirm and import into one target; None: the user wants another target."""
    s = app.services
    title = step_title(2, "Preview")
    if mode == "new":
        plan = await _run(
            app,
            title,
            f"Checking {name} and the group…",
            lambda _: plan_new(s.platform, source, name, local=s.local_turso, data_dir=s.data_dir),
            "Cancelling…",
        )
        if not await _preview(app, plan):
            return None
        await _confirm(app, plan)
        return plan, await _import(app, plan, None)
    async with s.open_sql(name, False) as client:
        plan = await _run(
            app,
            title,
            f"Reading {name}: its tables and keys, and which source keys it already has…",
            lambda _: plan_into(client, source, name),
            "Cancelling…",
        )
        if not await _preview(app, plan):
            return None
        await _confirm(app, plan)
        return plan, await _import(app, plan, client)


async def _wizard(app: TursoApp) -> None:
    s = app.services
    with await _source(app) as source:
        databases = await s.platform.list_databases()
        done: Done | None = None
        while done is None:
            mode, name = await _target(app, source, databases)
            done = await _attempt(app, source, mode, name)
    plan, result = done
    if result is None:
        return
    with contextlib.suppress(LookupError):  # no dashboard (a host app in tests): nothing to refresh
        app.main.post_message(RefreshRequested())
    await app.push_screen_wait(ResultScreen(step_title(5, "Result"), plan, result))


async def run_import_wizard(app: TursoApp) -> None:
    """The whole wizard (run it in a worker): refused in read-only mode; errors shown, the app keeps running."""
    if app.services.read_only:
        app.notify(READ_ONLY_REFUSAL, severity="warning", timeout=6, markup=False)
        return
    try:
        await _wizard(app)
    except Cancelled as exc:
        app.notify(exc.message, timeout=4, markup=False)
    except (OpsError, PlatformError, LibsqlError, OSError) as exc:
        app.post_message(ErrorOccurred("Import failed", str(exc), modal=True))
    except Exception as exc:  # a bug: keep the console running and the text for `e`
        app.post_message(
            ErrorOccurred("Import failed unexpectedly", f"{type(exc).__name__}: {exc}", modal=True)
        )


def start_import_wizard(app: TursoApp) -> None:
    """``I``: start the wizard in a worker, unless it is already open."""
    if any(w.group == WIZARD_GROUP and not w.is_finished for w in app.workers):
        app.notify("The import wizard is already open", timeout=2, markup=False)
        return
    app.run_worker(run_import_wizard(app), group=WIZARD_GROUP, exit_on_error=False)

"""The import / migration wizard inside the console (``I``): the xSwarm guide's "Migration from SQLite" on the
same ops as ``tursotui import`` (:mod:`tursotui.ops.importer`), keyboard only, in one worker.

source file → target (a NEW database, or an EXISTING one: the selected database first) →
preview (tables and row counts; for an existing database what is there and every conflict, before anything is
written; conflicts block, as in the CLI) → typed confirmation → progress (esc cancels: the ops layer rolls the
one transaction back, or deletes the new database) → result, and a dashboard refresh. The wizard runs against a
:class:`~tursotui.ui.host.WizardHost` (the app): the databases offered are the last snapshot's.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tursotui.libsql import LibsqlError
from tursotui.ops.errors import CANCELLED, Cancelled, InputError, OpsError
from tursotui.ops.import_into import import_into
from tursotui.ops.import_source import ImportSource, check_source_path, open_source
from tursotui.ops.importer import (
    ImportPlan,
    ImportProgress,
    ImportResult,
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
from tursotui.ui.wizards.asking import ask
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
    from tursotui.ui.host import WizardHost

T = TypeVar("T")
STEPS = ("Source", "Target", "Preview", "Confirm", "Import", "Result")
WIZARD_GROUP = "import"
READ_ONLY_REFUSAL = (
    "Read-only mode: import is disabled (it creates a database or writes rows into one)"
)


def step_title(index: int, title: str) -> str:
    return f"Import · step {index + 1} of {len(STEPS)} · {title}"


IMPORT_CANCELLED = "Import cancelled: nothing was written"


async def _run(
    host: WizardHost, title: str, text: str, task: Task[T], cancel_text: str, final: str = ""
) -> T:
    """Run ``task`` on a :class:`TaskScreen`; its error is raised here, a cancellation is :class:`Cancelled`."""
    outcome = await host.push_screen_wait(
        TaskScreen(title, text, task, cancel_text=cancel_text, final_phase=final)
    )
    if outcome.error is not None:
        raise outcome.error
    if outcome.value is None:
        raise Cancelled(IMPORT_CANCELLED)
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


async def _source(host: WizardHost) -> ImportSource:
    value, warning = "", ""
    while True:
        typed = await ask(
            host,
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
                host,
                step_title(0, "Source"),
                f"Reading {home_path(path)}: integrity check, tables and row counts…",
                read,
                "Cancelling: the scratch copy is removed…",
            )
        except InputError as exc:
            host.notify(
                exc.message, title="Not imported", severity="error", timeout=8, markup=False
            )
            value, warning = typed, exc.message


async def _target(
    host: WizardHost, source: ImportSource, databases: list[Database]
) -> tuple[str, str]:
    """``("new", name)`` or ``("into", name)``."""
    s = host.services
    names = {d.name for d in databases}
    what = f"{source.total_rows:,} rows in {len(source.tables)} tables of {home_path(source.path)}"
    kind = await ask(
        host,
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
        name = await ask(
            host,
            StepScreen(
                step_title(1, "New database"),
                "Name of the NEW database; lowercase letters, numbers and dashes.",
                value=default_name(source.path, names),
                check=lambda v: f"{check_new_database(v, names)} is free and valid",
            ),
        )
        return "new", check_new_database(name, names)
    first = host.selected or s.database_name
    ordered = sorted(databases, key=lambda d: (d.name != first, d.name))
    name = await ask(
        host,
        StepScreen(
            step_title(1, "Existing database"),
            "Which database? Its tables and keys are read to find conflicts; nothing is written yet.",
            choices=[Choice(d.name, f"{d.name:<28} group {d.group or '–'}") for d in ordered],
        ),
    )
    return "into", name


async def _preview(host: WizardHost, plan: ImportPlan) -> bool:
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
    answer = await ask(host, PreviewScreen(step_title(2, "Preview"), plan, choices))
    if answer == "close":
        raise Cancelled(
            f"Nothing imported: {len(plan.conflicts)} conflict(s) with database {plan.target}"
        )
    return answer == "import"


async def _confirm(host: WizardHost, plan: ImportPlan) -> None:
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

    await ask(
        host,
        StepScreen(
            step_title(3, "Confirm"),
            f"{text}\nType {plan.target} to confirm:",
            placeholder=plan.target,
            check=typed,
        ),
    )


async def _import(
    host: WizardHost, plan: ImportPlan, client: HranaClient | None
) -> ImportResult | None:
    """The import itself; None when it was cancelled (the target is left as it was)."""
    s = host.services
    title = step_title(4, "Import")
    try:
        if client is None:
            return await _run(
                host,
                title,
                f"Creating {plan.target} from {home_path(plan.source.path)}…",
                lambda report: import_new(s.platform, plan, progress=report),
                f"Cancelling: {plan.target} is deleted again…",
            )
        return await _run(
            host,
            title,
            f"Writing into {plan.target} in one transaction…",
            lambda report: import_into(client, plan, progress=report),
            "Cancelling: the batch in flight finishes, then the transaction is rolled back…",
            final="checking",
        )
    except Cancelled:
        what = "it was not created" if plan.mode == "new" else "it is unchanged"
        host.notify(
            f"Import cancelled: nothing was written to {plan.target} ({what})",
            severity="warning",
            timeout=6,
            markup=False,
        )
        return None


Done = tuple[ImportPlan, ImportResult | None]
"""The plan and its result (None: cancelled, nothing written)."""


async def _attempt(host: WizardHost, source: ImportSource, mode: str, name: str) -> Done | None:
    """Preview, confirm and import into one target; None: the user wants another target."""
    s = host.services
    title = step_title(2, "Preview")
    if mode == "new":
        plan = await _run(
            host,
            title,
            f"Checking {name} and the group…",
            lambda _: plan_new(s.platform, source, name, local=s.local_turso, data_dir=s.data_dir),
            "Cancelling…",
        )
        if not await _preview(host, plan):
            return None
        await _confirm(host, plan)
        return plan, await _import(host, plan, None)
    async with s.open_sql(name, False) as client:
        plan = await _run(
            host,
            title,
            f"Reading {name}: its tables and keys, and which source keys it already has…",
            lambda _: plan_into(client, source, name),
            "Cancelling…",
        )
        if not await _preview(host, plan):
            return None
        await _confirm(host, plan)
        return plan, await _import(host, plan, client)


async def _wizard(host: WizardHost) -> None:
    with await _source(host) as source:
        snapshot = host.snapshot
        if snapshot is not None:
            databases = list(snapshot.databases)
        else:  # before the first refresh
            databases = await host.services.platform.list_databases()
        done: Done | None = None
        while done is None:
            mode, name = await _target(host, source, databases)
            done = await _attempt(host, source, mode, name)
    plan, result = done
    if result is None:
        return
    host.post_message(RefreshRequested())
    await host.push_screen_wait(ResultScreen(step_title(5, "Result"), plan, result))


async def run_import_wizard(host: WizardHost) -> None:
    """The whole wizard (run it in a worker): refused in read-only mode; errors shown, the app keeps running."""
    if host.services.read_only:
        host.notify(READ_ONLY_REFUSAL, severity="warning", timeout=6, markup=False)
        return
    try:
        await _wizard(host)
    except Cancelled as exc:
        message = IMPORT_CANCELLED if exc.message == CANCELLED else exc.message
        host.notify(message, timeout=4, markup=False)
    except (OpsError, PlatformError, LibsqlError, OSError) as exc:
        host.post_message(ErrorOccurred("Import failed", str(exc), modal=True))
    except Exception as exc:  # a bug: keep the console running and the text for `e`
        host.post_message(
            ErrorOccurred("Import failed unexpectedly", f"{type(exc).__name__}: {exc}", modal=True)
        )

"""The setup wizard's form: every choice of the guide's Quick Setup Checklist on one screen, checked on
submit (a bad field is named, focused, and nothing is contacted or written).

``build_plan`` is pure: the form's values and what was loaded from the backend in, a
:class:`~tursotui.ops.setup.SetupPlan` (or a :class:`FieldError` naming the field) out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.setup import CLOUD_ACCESS_HELP, REPLICA_NOTE, LocationChoices, SetupPlan
from tursotui.ops.tokens import DEFAULT_EXPIRATION, parse_expiration
from tursotui.support.redact import mask
from tursotui.ui.dialogs.base import MODAL_TCSS

CSS: list[str | PurePath] = [MODAL_TCSS, "setup.tcss"]
Target = Literal["cloud", "local"]


@dataclass(frozen=True)
class FormContext:
    """What the form offers, loaded from the backend before it opens."""

    target: Target
    organizations: tuple[str, ...]
    organization: str
    """Preselected ("" when there are several and none is configured)."""
    locations: LocationChoices
    groups: Mapping[str, str]
    """Group -> its primary location, in ``organization``."""
    databases: frozenset[str]
    """The databases of ``organization``."""
    database: str
    """The default database name (the configured one, else the guide's)."""
    api_token: str | None
    config_path: Path
    env_path: Path

    @property
    def where(self) -> str:
        return "Turso Cloud" if self.target == "cloud" else "local Turso"

    def location_label(self, code: str) -> str:
        description = dict(self.locations.locations).get(code, "")
        return f"{code} ({description})" if description else code


@dataclass(frozen=True)
class FormValues:
    organization: str
    database: str
    group: str
    primary: str
    replicas: tuple[str, ...]
    expiration: str
    read_only: bool
    test_users: bool
    local_replica: bool
    backups: bool


class FieldError(InputError):
    """A bad field: ``field`` is the widget id, the message starts with the field's label."""

    def __init__(self, field: str, label: str, problem: str) -> None:
        super().__init__(f"{label}: {problem}")
        self.field = field


def _short(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _unchecked(organization: str) -> str:
    if not organization:
        return "valid (pick the organization above)"
    return f"valid; checked in {organization} when setup runs"


def database_feedback(name: str, organization: str, context: FormContext) -> tuple[str, bool]:
    """What happens to the typed database name; ``True`` when it is invalid."""
    try:
        check_name(name.strip())
    except InputError as exc:
        return str(exc), True
    if organization != context.organization or not organization:
        return _unchecked(organization), False
    if name.strip() in context.databases:
        return "exists: setup resumes with it (steps already done are skipped)", False
    return "new: created by setup", False


def group_feedback(group: str, organization: str, context: FormContext) -> tuple[str, bool]:
    try:
        check_name(group.strip(), "group")
    except InputError as exc:
        return str(exc), True
    if organization != context.organization or not organization:
        return _unchecked(organization), False
    primary = context.groups.get(group.strip())
    if primary is not None:
        return f"exists, primary {primary}: the database is created there", False
    return "new: created in the primary location below", False


def build_plan(values: FormValues, context: FormContext) -> SetupPlan:
    """The plan the form describes, or :class:`FieldError` for the first bad field (top to bottom)."""
    if values.organization not in context.organizations:
        raise FieldError(
            "setup-organization",
            "Organization",
            f"pick one of {', '.join(context.organizations) or '(none visible to the token)'}",
        )
    database, group = values.database.strip(), values.group.strip()
    try:
        check_name(database)
    except InputError as exc:
        raise FieldError("setup-database", "Database name", str(exc)) from None
    try:
        check_name(group, "group")
    except InputError as exc:
        raise FieldError("setup-group", "Group", str(exc)) from None
    codes = {code for code, _ in context.locations.locations}
    if values.primary not in codes:
        raise FieldError("setup-primary", "Primary location", "pick one of the list")
    primary = values.primary
    if values.organization == context.organization and group in context.groups:
        primary = context.groups[group]  # an existing group keeps its primary
    for code in values.replicas:
        if code not in codes:
            raise FieldError("setup-replicas", "Replica locations", f"unknown location {code!r}")
        if code == primary:
            raise FieldError(
                "setup-replicas",
                "Replica locations",
                f"{code} is the primary location of group {group}: unmark it",
            )
    try:
        expiration = parse_expiration(values.expiration)
    except InputError as exc:
        raise FieldError("setup-expiration", "Token expiration", str(exc)) from None
    return SetupPlan(
        database=database,
        group=group,
        organization=values.organization,
        primary=values.primary,
        replicas=values.replicas,
        expiration=expiration.text,
        read_only=values.read_only,
        test_users=values.test_users,
        local_replica=values.local_replica,
        backups=values.backups,
    )


def _row(label: str, *widgets: Widget, field: str) -> Horizontal:
    return Horizontal(
        Label(label, classes="setup-label", markup=False),
        Vertical(*widgets, classes="setup-field"),
        classes="setup-row",
        id=f"{field}-row",
    )


class SetupFormScreen(ModalScreen[SetupPlan | None]):
    """Everything setup needs to know; ``ctrl+s`` (or the button) checks it and starts, esc cancels."""

    CSS_PATH: ClassVar[list[str | PurePath]] = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Start", tooltip="Check the form and start setup", id="setup_form.submit"),
        Binding("escape", "cancel", "Cancel", tooltip="Close: nothing is changed", id="setup_form.cancel"),
    ]  # fmt: skip
    CURSOR_BLINK: ClassVar[bool] = True

    def __init__(self, context: FormContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        c = self.context
        choices = c.locations
        first = choices.default
        with Vertical(classes="dialog", id="setup-form"):
            yield Label(
                f"Setup · Quick Setup Checklist · {c.where}", classes="dialog-title", markup=False
            )
            yield Static("", id="setup-error", markup=False)
            with VerticalScroll(id="setup-scroll", can_focus=False):
                if c.target == "cloud":
                    yield Static(
                        f"Platform API token {mask(c.api_token)}: validated first. {CLOUD_ACCESS_HELP}",
                        id="setup-cloud-help",
                        markup=False,
                    )
                yield _row(
                    "Organization",
                    Select(
                        [(slug, slug) for slug in c.organizations],
                        value=c.organization or Select.NULL,
                        prompt="pick the organization",
                        id="setup-organization",
                        compact=True,
                    ),
                    field="setup-organization",
                )
                yield _row(
                    "Database name",
                    Input(c.database, id="setup-database", compact=True),
                    Static("", id="setup-database-feedback", classes="setup-feedback"),
                    field="setup-database",
                )
                yield _row(
                    "Group",
                    Input("default", id="setup-group", compact=True),
                    Static("", id="setup-group-feedback", classes="setup-feedback"),
                    field="setup-group",
                )
                yield _row(
                    "Primary location",
                    Select(
                        [(f"{code} · {desc}", code) for code, desc in choices.locations],
                        value=first or Select.NULL,
                        prompt="pick the primary location",
                        id="setup-primary",
                        compact=True,
                    ),
                    Static(
                        f"{first}: {choices.how} (listed first)" if first else choices.how,
                        id="setup-primary-feedback",
                        classes="setup-feedback",
                        markup=False,
                    ),
                    field="setup-primary",
                )
                replicas: list[Widget] = []
                if c.target == "cloud":
                    replicas.append(Static(REPLICA_NOTE, id="setup-replica-note", markup=False))
                replicas.append(
                    SelectionList[str](
                        *(
                            Selection(Text(f"{code} · {desc}"), code)
                            for code, desc in choices.locations
                        ),
                        id="setup-replicas",
                        compact=True,
                    )
                )
                yield _row("Replicas (space)", *replicas, field="setup-replicas")
                yield _row(
                    "Token expires in",
                    Input(DEFAULT_EXPIRATION, id="setup-expiration", compact=True),
                    field="setup-expiration",
                )
                yield _row(
                    "Token access",
                    RadioSet(
                        RadioButton("Full access", value=True, id="setup-full", compact=True),
                        RadioButton("Read-only", id="setup-read-only", compact=True),
                        id="setup-access",
                        compact=True,
                    ),
                    field="setup-access",
                )
                yield _row(
                    "Optional",
                    Checkbox("Insert the guide's test users", id="setup-test-users", compact=True),
                    Checkbox(
                        "Enable the local embedded replica", id="setup-local-replica", compact=True
                    ),
                    Checkbox("Enable scheduled backups", id="setup-backups", compact=True),
                    field="setup-options",
                )
                yield Static(
                    f"Writes {_short(c.config_path)} (comments kept) and {_short(c.env_path)} "
                    "(mode 0600, other keys kept), each backed up first.",
                    id="setup-writes",
                    markup=False,
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="setup-cancel", compact=True)
                yield Button("Start setup", id="setup-start", variant="primary", compact=True)
            yield Label(
                "tab next field · space toggle · ctrl+s start · esc cancel",
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.CURSOR_BLINK
        self._update_feedback()
        self.query_one("#setup-database", Input).focus()

    # -- reading the form ------------------------------------------------------------------------------------

    def _organization(self) -> str:
        value = self.query_one("#setup-organization", Select).value
        return value if isinstance(value, str) else ""

    def values(self) -> FormValues:
        primary = self.query_one("#setup-primary", Select).value
        replicas: SelectionList[str] = self.query_one("#setup-replicas", SelectionList)
        return FormValues(
            organization=self._organization(),
            database=self.query_one("#setup-database", Input).value,
            group=self.query_one("#setup-group", Input).value,
            primary=primary if isinstance(primary, str) else "",
            replicas=tuple(sorted(replicas.selected)),
            expiration=self.query_one("#setup-expiration", Input).value,
            read_only=self.query_one("#setup-read-only", RadioButton).value,
            test_users=self.query_one("#setup-test-users", Checkbox).value,
            local_replica=self.query_one("#setup-local-replica", Checkbox).value,
            backups=self.query_one("#setup-backups", Checkbox).value,
        )

    def _update_feedback(self) -> None:
        org = self._organization()
        for field, check in (
            ("setup-database", database_feedback),
            ("setup-group", group_feedback),
        ):
            text, bad = check(self.query_one(f"#{field}", Input).value, org, self.context)
            feedback = self.query_one(f"#{field}-feedback", Static)
            feedback.update(text)
            feedback.set_class(bad, "-error")

    @on(Input.Changed)
    @on(Select.Changed, "#setup-organization")
    def _changed(self) -> None:
        self._update_feedback()

    # -- submitting ------------------------------------------------------------------------------------------

    def action_submit(self) -> None:
        error = self.query_one("#setup-error", Static)
        try:
            plan = build_plan(self.values(), self.context)
        except FieldError as exc:
            error.update(str(exc))
            error.add_class("-shown")
            self.query_one(f"#{exc.field}").focus()
            return
        error.update("")
        error.remove_class("-shown")
        self.dismiss(plan)

    @on(Input.Submitted)
    @on(Button.Pressed, "#setup-start")
    def _start(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#setup-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""What `tursotui setup` will set up, known before it asks anything: the organization (the same rule as the
checklist's step), the locations it may use (the valid codes, the default first), and which databases and groups
exist already (an existing database or group settles the primary location). No Textual, nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tursotui.ops.errors import InputError
from tursotui.ops.locations import LocationChoices, is_aws_group, location_choices, replica_refusal
from tursotui.ops.tokens import parse_expiration
from tursotui.platform import Group

_UNITS = ((86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second"))


def pick_organization(slugs: list[str], wanted: str | None) -> str:
    """The organization to set up: ``wanted`` when the token sees it, else the only one it sees."""
    if wanted and wanted in slugs:
        return wanted
    if not wanted and len(slugs) == 1:
        return slugs[0]
    raise InputError(
        f"organization {wanted or '(none set)'} is not one of {', '.join(slugs)}: "
        "set [turso] organization in config.toml"
    )


def expiry_words(expiration: str) -> str:
    """``90d`` -> ``expires in 90 days``, ``1h`` -> ``expires in 1 hour``, ``never`` -> ``never expires``."""
    seconds = parse_expiration(expiration).seconds
    if seconds is None:
        return "never expires"
    size, unit = next((s, u) for s, u in _UNITS if seconds % s == 0)
    count = seconds // size
    return f"expires in {count} {unit}{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class SetupPreview:
    """The organization and what it has, for saying what setup will do and checking the answers."""

    target: str
    """Where: ``local Turso (org …)`` or ``Turso Cloud (org …)``."""
    organization: str
    locations: LocationChoices
    databases: dict[str, str] = field(default_factory=dict)
    """Existing database -> its primary location."""
    groups: dict[str, str] = field(default_factory=dict)
    """Existing group -> its primary location."""
    database_groups: dict[str, str] = field(default_factory=dict)
    """Existing database -> its group."""
    aws_groups: frozenset[str] = frozenset()
    """Existing groups on AWS: they take no replica location."""

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.locations.locations]

    def describe(self, code: str) -> str:
        return dict(self.locations.locations).get(code, "")

    def settled_primary(self, database: str, group: str) -> str | None:
        """Why the primary location is not asked (the database, or its group, exists already), or None."""
        if database in self.databases:
            return f"{database} exists already: its primary is {self.databases[database] or '?'}"
        if group in self.groups:
            return (
                f"group {group} exists: the database joins its primary {self.groups[group] or '?'}"
            )
        return None

    def replicas_refused(self, database: str, group: str, primary: str | None) -> str | None:
        """Why no replica location can be offered (the group the database is or will be in lives on AWS: the
        cloud refuses replicas there), or None."""
        in_group = (
            self.database_groups.get(database, group) if database in self.databases else group
        )
        if in_group in self.groups:
            aws = in_group in self.aws_groups
            where = self.groups[in_group]
        else:
            where = primary or self.locations.default
            aws = where.startswith("aws-")
        if not aws:
            return None
        return replica_refusal(Group(in_group, primary=where, locations=(where,)))

    def check_location(self, code: str) -> str:
        """``code`` when the organization can use it, else :class:`InputError` naming the valid codes."""
        if code not in self.codes:
            raise InputError(f"unknown location {code!r}: use one of {', '.join(self.codes)}")
        return code

    def lines(
        self,
        *,
        database: str,
        group: str,
        primary: str | None,
        replicas: tuple[str, ...],
        expiration: str,
        read_only: bool,
    ) -> list[str]:
        """What setup will do with these answers, one line each."""
        exists = "exists already" if database in self.databases else "new"
        group_state = "exists" if group in self.groups else "new"
        settled = self.settled_primary(database, group)
        if settled is not None:
            where = settled
        else:
            code = primary or self.locations.default
            how = "as asked" if primary else self.locations.how
            where = f"{code} ({self.describe(code)}; {how})"
        access = "read-only" if read_only else "full access"
        return [
            f"  organization   {self.organization}",
            f"  database       {database} ({exists}), group {group} ({group_state})",
            f"  primary        {where}",
            f"  replicas       {', '.join(replicas) or 'none'}",
            f"  token          {access}, {expiry_words(expiration)} (when a new one is minted)",
        ]


async def preview_setup(
    platform: Any, *, target: str, local: bool, wanted: str | None
) -> SetupPreview:
    """The organization setup will use (``wanted``, or the only one the token sees), its locations (the
    closest or the local default first), databases and groups."""
    slugs = [o.slug for o in await platform.list_organizations()]
    organization = pick_organization(slugs, wanted)
    locations = await location_choices(platform, local=local)
    databases = await platform.list_databases(org=organization)
    groups = await platform.list_groups(org=organization)
    return SetupPreview(
        target=target,
        organization=organization,
        locations=locations,
        databases={d.name: d.primary_region for d in databases},
        groups={g.name: g.primary for g in groups},
        database_groups={d.name: d.group for d in databases},
        aws_groups=frozenset(g.name for g in groups if is_aws_group(g)),
    )

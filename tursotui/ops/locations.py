"""Locations: those to offer in a picker (the closest on Turso Cloud, or the local default, first), whether
adding some stays within the plan's location limit, whether a group may take a replica location at all (not on
AWS), and waiting for a new group's location (the console's add-location flow and `tursotui setup`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.snapshot import OrgSnapshot, fetch_plan, is_primary
from tursotui.platform import Group, NotFound, PlatformClient, PlatformError
from tursotui.support.xswarm import PRIMARY_LOCATION

EDGE_REPLICAS_DEPRECATED = (
    "Edge replicas are deprecated for new users: Turso Cloud no longer offers multi-region replication to "
    "new organizations; groups that have replicas keep them (https://tur.so/replicas-deprecated)"
)
"""Said wherever a replica location is offered (turso-cli prints "Edge Replicas are deprecated" before
``group locations add``; the docs, 2026-02: "no longer supports multi-region replication for new users")."""
AWS_REPLICATION_REFUSED = "replication is not available on AWS at the moment"
"""turso-cli's refusal (``db_replicate.go``) for a database whose primary is an ``aws-`` location."""
GROUP_WAIT_SECONDS = 30.0
"""How long setup waits for a new group's location before creating a database in it."""


@dataclass(frozen=True)
class LocationChoices:
    """Locations for a picker: ``(code, description)`` with the default (closest) first."""

    locations: list[tuple[str, str]]
    default: str
    how: str
    """Why the default: ``closest to you``, ``local default`` or why the closest is unknown."""


async def location_choices(platform: Any, *, local: bool) -> LocationChoices:
    """Every location, the closest first (Turso Cloud) or the local default first (local Turso)."""
    locations = await platform.list_locations()
    if local:
        wanted, how = PRIMARY_LOCATION, "local default"
    else:
        try:
            wanted, how = (await platform.closest_region()).server, "closest to you"
        except PlatformError as exc:
            wanted, how = "", f"closest unknown: {exc}"
    if wanted and wanted not in locations:
        how = f"{wanted} ({how}) is not offered"
    default = wanted if wanted in locations else min(locations, default="")
    ordered = sorted(locations.items(), key=lambda item: (item[0] != default, item[0]))
    return LocationChoices(ordered, default, how)


async def choose_primary(platform: Any, asked: str | None, *, local: bool) -> tuple[str, str]:
    """A new group's primary: ``asked`` (an :class:`InputError` naming the valid codes when the organization does
    not offer it), else the closest (Turso Cloud) or sjc (local Turso), else — when that is not offered, as
    region.turso.io's code may not be — the first the organization offers; with its description and why."""
    if asked is not None:
        locations = await platform.list_locations()
        if asked not in locations:
            raise InputError(
                f"unknown location {asked!r}: use one of {', '.join(sorted(locations))}"
            )
        return asked, f"{locations[asked]}; as asked"
    choices = await location_choices(platform, local=local)
    if not choices.default:
        raise OpsError("the organization offers no location to create a group in")
    return choices.default, f"{dict(choices.locations)[choices.default]}; {choices.how}"


def split_primary(group: Group, *also: str) -> tuple[str, list[str]]:
    """(the primary's location code, the replica locations) of ``group``: the primary never counts as a replica,
    whichever name it goes by (the spec's example group: primary ``us-east-1``, locations ``aws-us-east-1``;
    ``also``: other names of it, such as a database's ``primaryRegion``)."""
    primaries = {group.primary, *also} - {""}
    primary = next((loc for loc in group.locations if is_primary(loc, primaries)), group.primary)
    return primary, [loc for loc in group.locations if not is_primary(loc, primaries)]


def location_limit_warning(
    in_use: Collection[str],
    adding: Iterable[str],
    quota: int | None,
    *,
    counted: int | None = None,
    plan: str = "",
) -> str | None:
    """The one rule for the plan's location limit: None when adding ``adding`` keeps the organization within
    ``quota`` (None: unlimited), else the warning to show before adding.

    ``in_use`` is every location of the organization's groups; ``counted`` the usage API's own count when it
    gave one. A location some group already uses adds nothing."""
    used = set(in_use)
    new = [code for code in dict.fromkeys(adding) if code not in used]
    if not quota or not new:
        return None
    now = max(counted or 0, len(used))
    after = now + len(new)
    if after <= quota:
        return None
    which = f"the {plan} plan" if plan else "the plan"
    places = "location" if len(new) == 1 else "locations"
    return (
        f"Over the plan's location limit: adding {places} {', '.join(new)} makes {after} locations "
        f"and {which} allows {quota} ({now} in use now)"
    )


def snapshot_location_warning(snapshot: OrgSnapshot, adding: Iterable[str]) -> str | None:
    """:func:`location_limit_warning` from what the console already has: the org snapshot's groups, usage
    and plan."""
    plan = snapshot.plan
    return location_limit_warning(
        {loc for group in snapshot.groups.values() for loc in group.locations},
        adding,
        plan.quotas.locations if plan else None,
        counted=snapshot.usage.usage.locations if snapshot.usage else None,
        plan=plan.name if plan else "",
    )


async def fetch_location_warning(platform: PlatformClient, adding: Iterable[str]) -> str | None:
    """:func:`location_limit_warning` for ``tursotui setup``: the plan, groups and usage fetched now (usage is
    optional: the groups' locations are counted without it)."""
    wanted = list(adding)
    if not wanted:
        return None
    plan, groups = await asyncio.gather(fetch_plan(platform), platform.list_groups())
    try:
        usage = await platform.organization_usage()
    except PlatformError:
        usage = None
    return location_limit_warning(
        {loc for group in groups for loc in group.locations},
        wanted,
        plan.quotas.locations,
        counted=usage.usage.locations if usage else None,
        plan=plan.name,
    )


# -- replicas: refused on AWS ----------------------------------------------------------------------------------


def is_aws_group(group: Group) -> bool:
    """Whether ``group`` lives on AWS: its primary, or any of its locations, is an ``aws-`` code (the spec's own
    example group has primary ``us-east-1`` and locations ``aws-us-east-1``)."""
    return any(code.startswith("aws-") for code in (group.primary, *group.locations))


def replica_refusal(group: Group) -> str | None:
    """Why ``group`` can take no replica location (turso-cli's reason, decided on the ``aws-`` prefix as it does,
    before any request), or None."""
    if is_aws_group(group):
        return (
            f"cannot add a replica location to group {group.name}: {AWS_REPLICATION_REFUSED} "
            f"(its primary is {group.primary or 'an AWS location'}). {EDGE_REPLICAS_DEPRECATED}"
        )
    return None


async def add_replica_locations(
    platform: PlatformClient, group: str | Group, locations: Iterable[str]
) -> Group:
    """Add ``locations`` to ``group`` as replicas, refused first (:class:`InputError`, nothing sent) on an AWS
    group with the cloud's reason; returns the group as the last answer gave it."""
    current = group if isinstance(group, Group) else await platform.get_group(group)
    refusal = replica_refusal(current)
    if refusal is not None:
        raise InputError(refusal)
    for code in locations:
        current = await platform.add_location(current.name, code)
    return current


# -- a new group's location --------------------------------------------------------------------------------


def has_location(group: Group, location: str) -> bool:
    """Whether ``group`` lists ``location`` (``us-east-1`` and ``aws-us-east-1`` are the same place)."""
    return is_primary(location, {*group.locations, group.primary} - {""})


async def wait_for_group_location(
    platform: Any,
    group: str,
    location: str,
    *,
    within: float = GROUP_WAIT_SECONDS,
    interval: float = 0.25,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Group:
    """Wait until the new ``group`` answers with ``location`` among its locations, before a database is created
    in it. turso-cli asks ``GET …/groups/{g}/locations/{l}/wait`` (``db_create.go``); that path is not in the
    Platform API spec, so this polls ``GET …/groups/{g}`` instead, every ``interval`` s (doubling up to 2 s),
    for at most ``within`` s, then says what it waited for."""
    deadline = clock() + within
    pause = interval
    while True:
        try:
            found: Group = await platform.get_group(group)
            if has_location(found, location) and not found.archived:
                return found
            state = f"it lists {', '.join(found.locations) or 'no location'}"
        except NotFound:
            state = "it is not listed yet"
        if clock() + pause > deadline:
            raise OpsError(
                f"group {group} was created, but its location {location} was not ready after "
                f"{within:g} s ({state}); re-run to resume"
            )
        await sleep(pause)
        pause = min(pause * 2, 2.0)

"""Locations: those to offer in a picker (the closest on Turso Cloud, or the local default, first), and whether
adding some stays within the plan's location limit (the console's add-location flow and `tursotui setup`)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from tursotui.ops.snapshot import OrgSnapshot, fetch_plan
from tursotui.platform import PlatformClient, PlatformError
from tursotui.support.xswarm import PRIMARY_LOCATION


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

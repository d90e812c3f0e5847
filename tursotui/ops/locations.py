"""Locations to offer in a picker: the closest (Turso Cloud) or the local default first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tursotui.platform import PlatformError
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

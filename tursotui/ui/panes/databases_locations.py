"""The Databases pane's replica locations: add one to the selected database's group, or remove one (never the
primary), each behind a typed confirmation (run in the pane's workers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.ops.errors import InputError
from tursotui.ops.locations import (
    EDGE_REPLICAS_DEPRECATED,
    add_replica_locations,
    replica_refusal,
    snapshot_location_warning,
)
from tursotui.ops.snapshot import is_primary, primary_locations
from tursotui.platform import Instance, PlatformError
from tursotui.ui.dialogs.confirm import ConfirmLocationScreen
from tursotui.ui.dialogs.picker import LocationChoice, LocationPickerScreen
from tursotui.ui.messages import ErrorOccurred, RefreshRequested

if TYPE_CHECKING:
    from tursotui.ui.panes.databases import DatabasesPane


async def add_location(pane: DatabasesPane) -> None:
    """Pick a location not in the group, confirm by typing it, add it (the cloud's refusal first on AWS)."""
    target = pane._target()
    if target is None or pane.snapshot is None:
        return
    db, group_name = target
    group = pane.snapshot.groups.get(group_name)
    refusal = replica_refusal(group) if group is not None else None
    if refusal is not None:  # the cloud's reason, before any request (D10)
        pane.post_message(ErrorOccurred("No replica location here", refusal, modal=True))
        return
    present = set(group.locations if group else (db.primary_region,))
    try:
        locations = await pane.services.platform.list_locations()
    except PlatformError as exc:
        pane.post_message(ErrorOccurred("Could not list locations", str(exc), modal=True))
        return
    choices = [
        LocationChoice(code, desc)
        for code, desc in sorted(locations.items())
        if code not in present
    ]
    if not choices:
        pane.notify(f"Group {group_name} is already in every location", timeout=4, markup=False)
        return
    cloud = pane.services.target == "cloud"
    code = await pane.app.push_screen_wait(
        LocationPickerScreen(
            f"Add a replica location to group {group_name}",
            choices,
            hint=f"{EDGE_REPLICAS_DEPRECATED}\nenter pick · esc cancel" if cloud else "",
        )
    )
    if not code:
        return
    confirmed = await pane.app.push_screen_wait(
        ConfirmLocationScreen(
            "add",
            code,
            group_name,
            pane.snapshot.databases_in_group(group_name),
            description=locations.get(code, ""),
            cloud=cloud,
            warning=snapshot_location_warning(pane.snapshot, [code]) or "",
        )
    )
    if not confirmed:
        pane.notify("Nothing changed", timeout=3, markup=False)
        return
    try:
        await add_replica_locations(pane.services.platform, group or group_name, [code])
    except (PlatformError, InputError) as exc:
        pane.post_message(ErrorOccurred(f"Could not add {code}", str(exc), modal=True))
        return
    pane.notify(f"Added replica location {code} to group {group_name}", timeout=4, markup=False)
    pane.post_message(RefreshRequested())


async def remove_location(pane: DatabasesPane, highlighted: Instance | None) -> None:
    """Remove the highlighted instance's location (else one picked), never the primary, after a typed
    confirmation."""
    target = pane._target()
    if target is None or pane.snapshot is None:
        return
    db, group_name = target
    group = pane.snapshot.groups.get(group_name)
    primaries = primary_locations(pane.snapshot, group) if group else {db.primary_region}
    if highlighted is not None:
        code: str | None = highlighted.region
        if highlighted.is_primary:
            primaries.add(highlighted.region)
    else:
        locations = group.locations if group else ()
        choices = [
            LocationChoice(loc, disabled_reason="primary" if is_primary(loc, primaries) else "")
            for loc in locations
        ]
        if not any(not c.disabled_reason for c in choices):
            pane.notify(f"Group {group_name} has no replica locations", timeout=4, markup=False)
            return
        code = await pane.app.push_screen_wait(
            LocationPickerScreen(f"Remove a replica location from group {group_name}", choices)
        )
    if not code:
        return
    if is_primary(code, primaries):
        pane.notify(
            f"Refusing to remove {code}: it is the primary location of group {group_name}",
            title="Primary location",
            severity="error",
            timeout=6,
            markup=False,
        )
        return
    confirmed = await pane.app.push_screen_wait(
        ConfirmLocationScreen(
            "remove",
            code,
            group_name,
            pane.snapshot.databases_in_group(group_name),
            cloud=pane.services.target == "cloud",
        )
    )
    if not confirmed:
        pane.notify("Nothing changed", timeout=3, markup=False)
        return
    try:
        await pane.services.platform.remove_location(group_name, code)
    except PlatformError as exc:
        pane.post_message(ErrorOccurred(f"Could not remove {code}", str(exc), modal=True))
        return
    pane.notify(f"Removed replica location {code} from group {group_name}", timeout=4, markup=False)
    pane.post_message(RefreshRequested())

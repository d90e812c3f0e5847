"""Groups of the local Turso: their databases share a signing key and a set of locations (the
primary sqld plus one replica sqld per other location). Called under the control-plane lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.local.control import archive, encryption
from tursotui.local.control.state import GroupState
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane


def create(cp: ControlPlane, name: str, location: str) -> GroupState:
    if name in cp.state.groups:
        raise ApiError(409, f"group {name} already exists")
    group = GroupState(name=name, primary=location, locations=[location])
    cp.state.groups[name] = group
    try:
        cp.keys.get(name)
        cp.save()
    except OSError:  # a full disk: no group, no key file
        del cp.state.groups[name]
        cp.keys.delete(name)
        raise
    return group


def delete(cp: ControlPlane, group: GroupState) -> GroupState:
    members = [d.name for d in cp.state.databases.values() if d.group == group.name]
    if members:
        raise ApiError(
            409,
            f"group {group.name} still has databases ({', '.join(members)}); delete them first",
        )
    del cp.state.groups[group.name]
    cp.keys.delete(group.name)
    cp.save()
    return group


async def add_location(cp: ControlPlane, group: GroupState, location: str) -> GroupState:
    """A replica location: each database is served there and replicates (its key too) from the
    primary; no admin call reaches the replica sqld."""
    if location in group.locations:
        return group
    group.locations.append(location)
    try:
        for db in cp.state.databases.values():
            if db.group == group.name and db.broken is None:
                await cp.attach_replica(db, location)
                archive.mark(cp, db)  # the new location of an archived group answers 502 too
                encryption.mark(cp, db)  # and an encrypted database's wants its key
        cp.save()
    except (ApiError, OSError):
        group.locations.remove(location)
        for db in cp.state.databases.values():
            if db.group == group.name:
                await cp.dataplane.unexpose(db.name, location)
                db.replica_ports.pop(location, None)
        raise
    return group


async def remove_location(cp: ControlPlane, group: GroupState, location: str) -> GroupState:
    if location == group.primary:
        raise ApiError(
            400, f"cannot remove {location}: it is the primary location of group {group.name}"
        )
    if location not in group.locations:
        raise ApiError(404, f"group {group.name} has no location {location}")
    group.locations.remove(location)
    for db in cp.state.databases.values():
        if db.group == group.name:
            await cp.dataplane.unexpose(db.name, location)
            db.replica_ports.pop(location, None)
    still_used = any(location in cp.replica_locations(g) for g in cp.state.groups.values())
    if not still_used:
        await cp.dataplane.stop_node(location)
    cp.save()
    return group

"""A database's configuration (Platform API ``PATCH …/configuration``): every value checked before
anything changes; a change sqld or the disk refuses leaves the database as it was."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from tursotui.local.control.state import check_size_limit
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

FLAGS = ("allow_attach", "block_reads", "block_writes", "delete_protection")
IGNORED = ("allowed_ips", "allowed_aws_vpc_ids")
"""Accepted as on Turso Cloud, with no effect on 127.0.0.1."""


def checked_size_limit(value: Any) -> str | None:
    try:
        return check_size_limit(value)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The fields to set, or a 400 naming the first bad one."""
    unknown = set(changes) - {*FLAGS, "size_limit", *IGNORED}
    if unknown:
        raise ApiError(400, f"unknown configuration fields: {', '.join(sorted(unknown))}")
    wanted: dict[str, Any] = {}
    for name in FLAGS:
        if name in changes:
            if not isinstance(changes[name], bool):
                raise ApiError(400, f"{name} must be true or false, not {changes[name]!r}")
            wanted[name] = changes[name]
    if "size_limit" in changes:
        wanted["size_limit"] = checked_size_limit(changes["size_limit"])
    return wanted


async def apply(cp: ControlPlane, db: DatabaseState, wanted: dict[str, Any]) -> None:
    """Set ``wanted`` on ``db``, in sqld and in state.json (called under the control-plane lock)."""
    before = {name: getattr(db, name) for name in wanted}
    for name, value in wanted.items():
        setattr(db, name, value)
    try:
        await cp.apply_config(db)
        cp.save()
    except BaseException:
        for name, value in before.items():
            setattr(db, name, value)
        with contextlib.suppress(ApiError):  # sqld may have taken it before the disk refused
            await cp.apply_config(db)
        raise

"""A database's configuration (Platform API ``PATCH …/configuration``): every value checked before
anything changes; a change sqld or the disk refuses leaves the database as it was.

What each field does on the local Turso:

- ``delete_protection``: ``DELETE …/databases/{db}`` is a 403 "database X is delete-protected and cannot be
  deleted" (turso-cli PR #958 quotes the cloud's text; the 403 was measured on a delete-protected group);
- ``size_limit``: sqld's ``max_db_size``: a write past it fails with SQLite's ``SQLITE_FULL`` ("database or
  disk is full"), on the database URL as sqld answers it;
- ``block_reads``/``block_writes``: sqld's own flags: each statement gets the Hrana error ``BLOCKED``;
- ``allowed_ips``/``allowed_aws_vpc_ids``: checked (an IP or CIDR block; ``vpce-…``) and kept, as turso-cli
  checks them (``db_allow_rules.go``), but not enforced: every client of the local Turso comes from
  127.0.0.1, so there is no source address worth checking, and no VPC endpoint at all.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from tursotui.local.control.state import check_size_limit
from tursotui.local.errors import ApiError
from tursotui.platform.allow_rules import invalid_ip_kind

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

FLAGS = ("allow_attach", "block_reads", "block_writes", "delete_protection")
ALLOW_RULES = ("allowed_ips", "allowed_aws_vpc_ids")
"""Kept and shown; not enforced on 127.0.0.1 (see the module's docstring)."""
VPC_PREFIX = "vpce-"
NO_SIZE_LIMIT = "1000PB"
"""sqld's ``max_db_size`` of a namespace created without one: a limit taken off is set back to it."""


def checked_size_limit(value: Any) -> str | None:
    """A size limit sqld takes, or None for none (also ``0``, what the API reports for none)."""
    try:
        limit = check_size_limit(value)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    if limit is not None and int(limit.rstrip("kmgb")) == 0:
        return None  # sqld would read 0 as a database that takes no page at all
    return limit


def _normalized(name: str, value: Any) -> list[str]:
    """The entries of an allow list, trimmed, without blanks or repeats (turso-cli's
    ``normalizeAllowRuleEntries``); an explicit null clears the list, as the cloud reads it."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ApiError(400, f"{name} must be a list of strings, not {value!r}")
    out: list[str] = []
    for entry in (e.strip() for e in value):
        if entry and entry not in out:
            out.append(entry)
    return out


def checked_ip(entry: str) -> str:
    """An IP address or a CIDR block (``203.0.113.7``, ``10.0.0.0/8``), else a 400 naming it."""
    if (kind := invalid_ip_kind(entry)) is not None:
        raise ApiError(
            400,
            f"allowed_ips: invalid {kind} {entry!r}; valid entries are IP addresses or CIDR blocks",
        )
    return entry


def checked_vpc_id(entry: str) -> str:
    if not entry.startswith(VPC_PREFIX) or len(entry) == len(VPC_PREFIX):
        raise ApiError(
            400, f"allowed_aws_vpc_ids: invalid AWS VPC endpoint ID {entry!r}: it starts with vpce-"
        )
    return entry


def checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The fields to set, or a 400 naming the first bad one."""
    unknown = set(changes) - {*FLAGS, "size_limit", *ALLOW_RULES}
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
    if "allowed_ips" in changes:
        wanted["allowed_ips"] = [
            checked_ip(e) for e in _normalized("allowed_ips", changes["allowed_ips"])
        ]
    if "allowed_aws_vpc_ids" in changes:
        wanted["allowed_aws_vpc_ids"] = [
            checked_vpc_id(e)
            for e in _normalized("allowed_aws_vpc_ids", changes["allowed_aws_vpc_ids"])
        ]
    return wanted


def check_deletable(db: DatabaseState) -> None:
    """A delete-protected database is refused as Turso Cloud refuses it."""
    if db.delete_protection is True:
        raise ApiError(403, f"database {db.name} is delete-protected and cannot be deleted")


async def apply(cp: ControlPlane, db: DatabaseState, wanted: dict[str, Any]) -> None:
    """Set ``wanted`` on ``db``, in sqld and in state.json (called under the control-plane lock)."""
    before = {name: getattr(db, name) for name in wanted}
    for name, value in wanted.items():
        setattr(db, name, value)
    try:
        if set(wanted) - set(ALLOW_RULES):  # the allow lists are the control plane's alone
            await cp.apply_config(db)
        cp.save(db.name)
    except BaseException:
        for name, value in before.items():
            setattr(db, name, value)
        with contextlib.suppress(ApiError):  # sqld may have taken it before the disk refused
            await cp.apply_config(db)
        raise

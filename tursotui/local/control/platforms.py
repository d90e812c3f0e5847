"""Location codes per platform, and where a group may be created or replicated.

- ``fly`` (the default, the seed's): Turso's legacy location codes; groups take replica locations.
- ``aws``: the ``aws-*`` codes of the spec's ``/v1/locations`` example, those of new organizations. A
  group whose primary is an ``aws-`` location takes no replica: turso-cli refuses it the same way
  ("replication is not available on AWS at the moment", cmd/db_replicate.go, decided on the primary's
  ``aws-`` prefix) and warns that edge replicas are deprecated (cmd/group_locations.go).

A group's platform is its primary's: a legacy (Fly) group keeps working under the ``aws`` profile, as an
older organization's does on Turso Cloud. Only the demo org makes one there (:func:`check_group_location`'s
``legacy``), so the demo stays the seed's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tursotui.local.control.state import LOCATIONS, GroupState
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane

FLY_LOCATIONS = LOCATIONS
AWS_LOCATIONS: dict[str, str] = {
    "aws-ap-northeast-1": "AWS AP NorthEast (Tokyo) - local sqld",
    "aws-ap-south-1": "AWS AP South (Mumbai) - local sqld",
    "aws-eu-west-1": "AWS EU West (Ireland) - local sqld",
    "aws-us-east-1": "AWS US East (Virginia) - local sqld",
    "aws-us-east-2": "AWS US East (Ohio) - local sqld",
    "aws-us-west-2": "AWS US West (Oregon) - local sqld",
}
AWS_REPLICATION_REFUSED = (
    "replication is not available on AWS at the moment: "
    "edge replicas are deprecated (https://tur.so/replicas-deprecated)"
)


def locations(platform: str) -> dict[str, str]:
    """``GET /v1/locations`` under ``platform``."""
    return dict(AWS_LOCATIONS if platform == "aws" else FLY_LOCATIONS)


def is_aws(code: str) -> bool:
    return code.startswith("aws-")


def _invalid(code: str, valid: dict[str, str]) -> ApiError:
    return ApiError(400, f"invalid location {code!r}: use one of {', '.join(sorted(valid))}")


def check_group_location(platform: str, code: str, *, legacy: bool = False) -> None:
    """A new group's primary: one of the platform's codes (``legacy``: a Fly code is taken too)."""
    valid = locations(platform)
    if code in valid or (legacy and code in FLY_LOCATIONS):
        return
    raise _invalid(code, valid)


def check_replica_location(group: GroupState, code: str) -> None:
    """A replica location for ``group``: refused on an AWS group, else one of the legacy codes."""
    if is_aws(group.primary):
        raise ApiError(
            400, f"cannot add location {code} to group {group.name}: {AWS_REPLICATION_REFUSED}"
        )
    if code not in FLY_LOCATIONS:
        raise _invalid(code, FLY_LOCATIONS)


@contextlib.contextmanager
def legacy_groups(cp: ControlPlane) -> Iterator[None]:
    """Groups ``cp`` creates meanwhile may take the legacy (Fly) codes whatever the platform: the demo org's."""
    cp.legacy_groups = True
    try:
        yield
    finally:
        cp.legacy_groups = False

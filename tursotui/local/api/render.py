"""JSON bodies of the local Turso, in the shapes of Turso's Platform API spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tursotui.local.control.billing import Block
from tursotui.local.control.profile import Profile
from tursotui.local.control.state import DatabaseState, GroupState, OrgState

SQLD_VERSION_TAG = "v0.24.32"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def organization(state: OrgState, profile: Profile, block: Block) -> dict[str, Any]:
    """The organization on its profile's plan; ``plan_id`` is the subscription's plan (``scaler_overages``)."""
    return {
        "name": state.name,
        "slug": state.slug,
        "type": "personal",
        "overages": profile.overages,
        "blocked_reads": block.reads,
        "blocked_writes": block.writes,
        "plan_id": profile.subscription_plan,
        "plan_timeline": "monthly",
        "platform": "",
        "require_mfa": False,
    }


def group(g: GroupState) -> dict[str, Any]:
    return {
        "name": g.name,
        "version": "v0.24.32",
        "uuid": g.uuid,
        "locations": list(g.locations),
        "primary": g.primary,
        "delete_protection": False,
        "archived": g.archived,
    }


def database(db: DatabaseState, g: GroupState, hostname: str, block: Block) -> dict[str, Any]:
    """``block_reads``/``block_writes``: what is refused now, by its configuration or the plan's quotas;
    ``type``: "logical", the spec's value for a database (its ``Database.type``, default "logical")."""
    body: dict[str, Any] = {
        "Name": db.name,
        "DbId": db.uuid,
        "Hostname": hostname,
        "block_reads": db.block_reads or block.reads,
        "block_writes": db.block_writes or block.writes,
        "allow_attach": db.allow_attach,
        "regions": list(g.locations),
        "primaryRegion": g.primary,
        "type": "logical",
        "version": SQLD_VERSION_TAG,
        "group": db.group,
        "delete_protection": db.delete_protection,
        "sleeping": g.archived,  # turso-cli shows `sleeping` as "Archived" (db_show.go)
        "archived": g.archived,
        "is_schema": False,
        "schema": "",
        "parent": db.parent,
    }
    if db.encryption:
        body["encryption_cipher"] = db.encryption.get("cipher")  # turso-cli's db show reads it
    if db.broken:
        body["broken"] = db.broken  # local only: why this start does not serve it
    return body


def configuration(db: DatabaseState) -> dict[str, Any]:
    return {
        "size_limit": db.size_limit or "0",
        "allow_attach": db.allow_attach,
        "block_reads": db.block_reads,
        "block_writes": db.block_writes,
        "delete_protection": db.delete_protection,
        "allowed_ips": list(db.allowed_ips),
        "allowed_aws_vpc_ids": list(db.allowed_aws_vpc_ids),
    }

"""``tursotui replica status|sync|reset``: the local embedded replica of ``[turso.local_replica]``.

``status`` shows the replica's lag as the console's Replica tab does, from the same functions
(:mod:`tursotui.ops.replica`): the time since its last sync, and the frames it is behind the primary (asked of the
local Turso, no SQL; "n/a on Turso Cloud").
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from tursotui.cli.context import OK, Context, run
from tursotui.cli.errors import FAILED, exit_code
from tursotui.libsql import replica
from tursotui.ops.errors import InputError
from tursotui.ops.replica import (
    Lag,
    PrimaryFrame,
    ReplicaTarget,
    ago,
    behind_text,
    lag,
    primary_frame,
    since_text,
)
from tursotui.support.humanize import size


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="replica_command", metavar="ACTION", required=True)
    actions.add_parser("status", parents=[common], help="path, size, last sync, lag")
    actions.add_parser("sync", parents=[common], help="sync now (libsql, with a timeout)")
    actions.add_parser("reset", parents=[common], help="delete the file and sync it again")


def _describe(ctx: Context, state: replica.ReplicaStatus, found: Lag) -> None:
    ctx.emit(state.to_json() | {"lag": found.to_json()})
    ctx.out(f"path       {state.path}")
    ctx.out(f"exists     {'yes' if state.exists else 'no (the next sync creates it)'}")
    ctx.out(f"size       {size(state.size_bytes)}")
    if state.last_sync:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(state.last_sync))
        ctx.out(f"last sync  {when} ({ago(found.since_sync or 0.0)}, {state.last_sync_ms} ms, "
                f"{state.frames} frames pulled)")  # fmt: skip
        ctx.out(
            f"frame      {state.frame_no} (the last frame of sync generation {state.generation} it has applied)"
        )
        ctx.out(f"lag        {since_text(found)}")
        ctx.out(f"behind     {behind_text(found)}")
    else:
        ctx.out("last sync  never")
        ctx.out(f"lag        {since_text(found)}")


def _target(ctx: Context) -> ReplicaTarget:
    target = ReplicaTarget.from_settings(ctx.settings)
    assert target is not None  # settings are always resolved here
    return target


async def _primary(ctx: Context) -> PrimaryFrame:
    """The primary's frame number, from the local Turso (started or attached to); why not, when it cannot."""
    try:
        async with ctx.backend() as backend:
            target = _target(ctx)
            return await primary_frame(target, local=backend.is_local)
    except Exception as exc:
        if exit_code(exc) != FAILED:
            raise
        return PrimaryFrame(None, f"n/a: the local Turso did not say ({ctx.scrub(str(exc))})")


def _now() -> datetime:
    return datetime.now(UTC)


async def _replica(ctx: Context) -> int:
    action = ctx.args.replica_command
    path = _target(ctx).path
    if action == "status":
        state = replica.status(path)
        primary = await _primary(ctx)
        _describe(ctx, state, lag(_target(ctx), state, primary, _now()))
        return OK
    if action == "reset":
        ctx.confirm(f"delete the replica file {path} and sync it again")
    async with ctx.backend() as backend:
        target = _target(ctx)
        if target.cannot_sync:
            raise InputError(
                "syncing needs [turso] database_url in config.toml and TURSO_AUTH_TOKEN in .env "
                "(run `tursotui setup`)"
            )
        if action == "reset":
            removed = replica.reset(path)
            ctx.info(f"removed {len(removed)} replica file(s)")
        state = await replica.sync(path, target.url, target.token)
        primary = await primary_frame(target, local=backend.is_local)
    _describe(ctx, state, lag(target, state, primary, _now()))
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _replica)

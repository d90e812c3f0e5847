"""``tursotui replica status|sync|reset``: the local embedded replica of ``[turso.local_replica]``.

``status`` shows the replica's lag as the console's Replica tab does, from the same functions
(:mod:`tursotui.ops.replica`): the time since its last sync, and the frames it is behind the primary (asked of the
database's sync endpoint, ``GET /info``, no SQL). ``sync`` refuses a file that came from another database than the
one config names (naming both); ``reset`` deletes the file after its name is typed (or ``--yes``), and the sync
that follows bootstraps the configured database.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from tursotui.cli.context import OK, Context, run
from tursotui.cli.errors import FAILED, exit_code
from tursotui.libsql import replica
from tursotui.libsql.replica_errors import PROTOCOL
from tursotui.ops.errors import InputError
from tursotui.ops.replica import (
    Lag,
    PrimaryFrame,
    ReplicaTarget,
    ago,
    behind_text,
    identify,
    lag,
    primary_frame,
    since_text,
)
from tursotui.support.humanize import size

DESCRIPTION = f"""The local embedded replica of [turso.local_replica]: a file libsql 0.1.11 keeps in step with the
database of [turso] database_url over {PROTOCOL}.

The replica is read-only here: writes go to the primary (the console's SQL tab, `tursotui db shell`); offline
writes pushed from the replica are not offered (the local Turso refuses them with 405, and Turso Cloud's push
semantics are not verified). A file is only ever synced from the database it came from: after config is pointed
at another database, `tursotui replica reset` deletes it and the next sync bootstraps the new one."""


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    actions = parser.add_subparsers(dest="replica_command", metavar="ACTION", required=True)
    actions.add_parser("status", parents=[common], help="path, size, origin, last sync, lag")
    actions.add_parser(
        "sync", parents=[common], help="pull from the primary now (libsql, with a timeout)"
    )
    actions.add_parser(
        "reset",
        parents=[common],
        help="delete the file (type its name, or --yes) and sync it again from the configured database",
    )


def _frames(count: int | None) -> str:
    return "frames pulled: n/a" if count is None else f"{count:,} frames pulled"


def _describe(
    ctx: Context, target: ReplicaTarget, state: replica.ReplicaStatus, found: Lag
) -> None:
    ctx.emit(state.to_json() | {"lag": found.to_json(), "configured": target.origin.to_json()})
    ctx.out(f"path       {state.path}")
    ctx.out(f"exists     {'yes' if state.exists else 'no (the next sync creates it)'}")
    ctx.out(f"size       {size(state.size_bytes)}")
    ctx.out(f"protocol   {PROTOCOL}")
    if state.origin is not None:
        ctx.out(f"origin     {state.origin.describe()}")
    if state.last_sync:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(state.last_sync))
        ctx.out(f"last sync  {when} ({ago(found.since_sync or 0.0)}, {state.last_sync_ms} ms, "
                f"{_frames(state.frames)})")  # fmt: skip
        if state.frame_no is not None:
            ctx.out(
                f"frame      {state.frame_no} (the last frame of sync generation {state.generation} "
                "it has applied)"
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
    """The primary's frame number (its sync endpoint's /info); why not, when it cannot be known."""
    try:
        async with ctx.backend() as backend:
            target = _target(ctx)
            return await primary_frame(target, local=backend.is_local)
    except Exception as exc:
        if exit_code(exc) != FAILED:
            raise
        return PrimaryFrame(None, f"n/a: the primary did not say ({ctx.scrub(str(exc))})")


def _now() -> datetime:
    return datetime.now(UTC)


async def _replica(ctx: Context) -> int:
    action = ctx.args.replica_command
    path = _target(ctx).path
    if action == "status":
        state = replica.status(path)
        primary = await _primary(ctx)
        _describe(ctx, _target(ctx), state, lag(_target(ctx), state, primary, _now()))
        return OK
    if action == "reset":
        ctx.confirm(f"delete the replica file {path} and sync it again", typed=path.name)
    async with ctx.backend() as backend:
        target = _target(ctx)
        if target.cannot_sync:
            raise InputError(
                "syncing needs [turso] database_url in config.toml and TURSO_AUTH_TOKEN in .env "
                "(run `tursotui setup`)"
            )
        target = await identify(target, backend.platform)
        if action == "reset":
            removed = replica.reset(path)
            ctx.info(f"removed {len(removed)} replica file(s)")
        state = await replica.sync(path, target.url, target.token, origin=target.origin)
        primary = await primary_frame(target, local=backend.is_local)
    _describe(ctx, target, state, lag(target, state, primary, _now()))
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _replica)

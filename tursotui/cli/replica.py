"""``tursotui replica status|sync|reset``: the local embedded replica of ``[turso.local_replica]``."""

from __future__ import annotations

import argparse
import time

from tursotui.cli.context import OK, Context, run
from tursotui.libsql import replica
from tursotui.ops.errors import InputError
from tursotui.support.humanize import human_size


def _describe(ctx: Context, state: replica.ReplicaStatus) -> None:
    ctx.emit(state.to_json())
    ctx.out(f"path       {state.path}")
    ctx.out(f"exists     {'yes' if state.exists else 'no (the next sync creates it)'}")
    ctx.out(f"size       {human_size(state.size_bytes)}")
    if state.last_sync:
        ago = time.time() - state.last_sync
        ctx.out(f"last sync  {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(state.last_sync))} "
                f"({ago:.0f} s ago, {state.last_sync_ms} ms, {state.frames} frames pulled)")  # fmt: skip
        ctx.out(f"frame      {state.frame_no} (the primary's replication index it has applied)")
    else:
        ctx.out("last sync  never")


async def _replica(ctx: Context) -> int:
    settings = ctx.settings
    path = settings.config.turso.local_replica.local_db_path
    action = ctx.args.replica_command
    if action == "status":
        _describe(ctx, replica.status(path))
        return OK
    if action == "reset":
        ctx.confirm(f"delete the replica file {path} and sync it again")
    async with ctx.backend():
        settings = ctx.settings
        if not settings.database_url or not settings.auth_token:
            raise InputError(
                "syncing needs [turso] database_url in config.toml and TURSO_AUTH_TOKEN in .env "
                "(run `tursotui setup`)"
            )
        if action == "reset":
            removed = replica.reset(path)
            ctx.info(f"removed {len(removed)} replica file(s)")
        state = await replica.sync(path, settings.database_url, settings.auth_token)
    _describe(ctx, state)
    return OK


def main(args: argparse.Namespace) -> int:
    return run(args, _replica)

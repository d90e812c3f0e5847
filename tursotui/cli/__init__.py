"""The scriptable CLI: ``tursotui db|restore|backup|import|token``.

Registering the subcommands imports nothing heavy (``--help`` stays fast); each command's module
is imported when it runs. Every command takes ``--json`` (machine-readable stdout) and ``--yes``
(proceed without asking). Exit codes: 0 ok, 1 the operation failed, 2 bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import import_module
from typing import Any

MODULES = {
    "db": "tursotui.cli.db",
    "restore": "tursotui.cli.restore",
    "backup": "tursotui.cli.backup",
    "import": "tursotui.cli.imports",
    "token": "tursotui.cli.token",
    "setup": "tursotui.cli.setup",
    "replica": "tursotui.cli.replica",
}


def _shared_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    common.add_argument(
        "--yes", "-y", action="store_true", help="do not ask; required when not on a terminal"
    )
    return common


def register(sub: Any) -> None:
    """Add the subcommands to ``sub`` (the main parser's ``add_subparsers()``)."""
    common = _shared_options()

    db = sub.add_parser("db", help="list databases, show one, usage")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("list", parents=[common], help="databases of the organization")
    show = db_sub.add_parser("show", parents=[common], help="one database: URL, instances, config")
    show.add_argument("name", metavar="NAME")
    usage = db_sub.add_parser(
        "usage", parents=[common], help="this month's usage of a database or the organization"
    )
    usage.add_argument("name", metavar="NAME", nargs="?")

    restore = sub.add_parser(
        "restore",
        parents=[common],
        help="point-in-time restore into a NEW database",
        description="Restore SOURCE as it was at a moment into a new database (never in place).",
    )
    restore.add_argument("source", metavar="SOURCE", help="the database to restore from")
    restore.add_argument(
        "--timestamp",
        "-t",
        required=True,
        metavar="T",
        help="RFC 3339 with a timezone (2026-11-01T10:30:00Z) or relative ('2h ago')",
    )
    restore.add_argument("--name", required=True, metavar="NEW", help="the new database's name")
    restore.add_argument(
        "--group", metavar="G", help="group of the new database (default: the source's)"
    )

    backup = sub.add_parser(
        "backup",
        parents=[common],
        help="verified backup of a database to .sql or .db (for cron)",
        description=(
            "Dump DATABASE (default [turso] database_name) into the backups folder, verify it "
            "(integrity_check and row counts against the database) and prune backups older "
            "than [turso.backup] retention_days. Cron: 0 2 * * * tursotui backup"
        ),
    )
    backup.add_argument("database", metavar="DATABASE", nargs="?")
    backup.add_argument("--format", choices=("sql", "db"), default="sql", help="default sql")
    backup.add_argument("--dir", metavar="DIR", help="backups folder ([turso.backup] directory)")
    backup.add_argument("--list", action="store_true", help="list the backups folder and stop")
    backup.add_argument("--no-prune", action="store_true", help="keep backups past retention")

    imp = sub.add_parser(
        "import",
        parents=[common],
        help="import a SQLite file or .sql dump into a new or existing database",
        description="Preview, check conflicts, then import FILE (SQLite database or SQL dump).",
    )
    imp.add_argument("file", metavar="FILE")
    where = imp.add_mutually_exclusive_group(required=True)
    where.add_argument("--new", metavar="NAME", help="create database NAME from FILE")
    where.add_argument("--into", metavar="NAME", help="add FILE's tables and rows to database NAME")
    imp.add_argument("--group", metavar="G", help="group of a new database")
    imp.add_argument("--dry-run", action="store_true", help="preview and conflicts only")

    token = sub.add_parser("token", help="database and group tokens")
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_sub.add_parser(
        "create",
        parents=[common],
        help="mint a token (printed once on stdout)",
        description="Mint a database token (or a group token with --group). It is printed "
        "once on stdout; the ledger keeps its metadata, never the token.",
    )
    create.add_argument("database", metavar="DATABASE", nargs="?")
    create.add_argument("--group", metavar="G", help="a group token (every database of G)")
    create.add_argument(
        "--expiration", default="90d", metavar="E", help="90d (default), 2w1d30m, never"
    )
    create.add_argument("--read-only", action="store_true", help="the token cannot write")
    create.add_argument(
        "--write-env", action="store_true", help="store it as TURSO_AUTH_TOKEN in .env (backed up)"
    )
    rotate = token_sub.add_parser(
        "rotate",
        parents=[common],
        help="invalidate ALL tokens of a database's group (replicas restart)",
    )
    rotate.add_argument("database", metavar="DATABASE", nargs="?")
    rotate.add_argument("--group", metavar="G")
    token_sub.add_parser("list", parents=[common], help="tokens this tool issued (metadata)")
    token_sub.add_parser(
        "decode", parents=[common], help="show a JWT's claims (read from stdin, not verified)"
    )

    from tursotui.cli.setup_args import add_parser as add_setup

    add_setup(sub, common)

    rep = sub.add_parser("replica", help="the local embedded replica ([turso.local_replica])")
    rep_sub = rep.add_subparsers(dest="replica_command", metavar="ACTION", required=True)
    rep_sub.add_parser("status", parents=[common], help="path, size, last sync")
    rep_sub.add_parser("sync", parents=[common], help="sync now (libsql, with a timeout)")
    rep_sub.add_parser("reset", parents=[common], help="delete the file and sync it again")


def handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], int] | None:
    """The function running ``args.command``, or None when it is not one of these commands."""
    module = MODULES.get(getattr(args, "command", None) or "")
    if module is None:
        return None
    run: Callable[[argparse.Namespace], int] = import_module(module).main
    return run

"""Where the Fleet health tab finds its migrations and how it opens SQL on the fleet: one token per group over
one HTTP pool (as ``tursotui migrate`` does), or the console's own opener when one is set (tests inject one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from tursotui.libsql import HranaClient
from tursotui.ops.group_tokens import Authorization, GroupTokens, sql_pool
from tursotui.ops.migrate.run import Sql, SqlOn
from tursotui.platform import Database
from tursotui.ui.services import Services

T = TypeVar("T")


def migrations_folder(services: Services) -> Path | None:
    """``[tursotui] migrations_dir`` (relative: from config.toml's folder), else ``migrations`` beside
    config.toml when it exists; None: not set."""
    settings = services.settings
    if settings is not None and settings.config.tursotui.migrations_dir is not None:
        folder = settings.config.tursotui.migrations_dir
        return folder if folder.is_absolute() else settings.config_path.parent / folder
    config = settings.config_path if settings is not None else services.config_path
    beside = config.parent / "migrations" if config is not None else None
    return beside if beside is not None and beside.is_dir() else None


class OpenerSql:
    """The console's own SQL opener: a client per database."""

    def __init__(self, services: Services, read_only: bool) -> None:
        self.services = services
        self.read_only = read_only

    async def on(self, db: Database, work: Callable[[HranaClient], Awaitable[T]]) -> T:
        async with self.services.open_sql(db.name, self.read_only) as client:
            return await work(client)


@asynccontextmanager
async def open_fleet_sql(services: Services, authorization: Authorization) -> AsyncIterator[SqlOn]:
    """SQL on the fleet for one run (``read-only`` reads, ``full-access`` applies)."""
    if services.sql_opener is not None:
        yield OpenerSql(services, authorization == "read-only")
        return
    async with sql_pool() as http:
        tokens = GroupTokens(services.platform, authorization, services.ledger, services.target)
        yield Sql(tokens, http)

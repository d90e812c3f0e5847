"""What a run across the fleet (``doctor --all``, ``migrate``) shares between its databases: one token per group,
not one per database, and one HTTP pool for their SQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from tursotui.ops.errors import OpsError
from tursotui.ops.tokens import TokenLedger, entry_for, parse_expiration
from tursotui.platform import PlatformClient

SQL_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TOKEN_EXPIRATION = "1h"  # noqa: S105 (a lifetime, not a secret)
Authorization = Literal["full-access", "read-only"]


@dataclass
class GroupTokens:
    """One token per group (``authorization``), minted at the group's first database and shared by the
    others; recorded in ``ledger`` as a session token. A fleet run's Platform API requests stay one per group."""

    platform: PlatformClient
    authorization: Authorization
    ledger: TokenLedger | None = None
    target: str = ""
    expiration: str = TOKEN_EXPIRATION
    minted: int = 0
    tokens: dict[str, asyncio.Task[str]] = field(default_factory=dict)

    def token(self, group: str) -> Awaitable[str]:
        if group not in self.tokens:
            self.tokens[group] = asyncio.ensure_future(self._mint(group))
        return self.tokens[group]

    async def _mint(self, group: str) -> str:
        jwt = (
            await self.platform.create_group_token(
                group, expiration=self.expiration, authorization=self.authorization
            )
        ).jwt
        self.minted += 1
        if self.ledger is not None:
            entry = entry_for(
                jwt,
                scope="group",
                database="",
                group=group,
                organization=self.platform.organization or "",
                target=self.target,
                expiration=parse_expiration(self.expiration),
                kind="session",
            )
            with contextlib.suppress(OpsError):  # a damaged ledger is reported by the Tokens tab
                self.ledger.record(entry)
        return str(jwt)


def sql_pool() -> httpx.AsyncClient:
    """One HTTP pool for every database's SQL of a run."""
    return httpx.AsyncClient(timeout=SQL_TIMEOUT)

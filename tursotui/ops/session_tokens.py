"""The SQL tokens of one session: reuse before minting (D6).

A session is one Platform API client's life: a CLI command, or a console. Every SQL action of it (backup,
import, the table browser, the SQL console, a restore's check) asks :meth:`SessionTokens.token_for` for a
token to one database, and gets, in this order:

1. the configured ``TURSO_AUTH_TOKEN`` when its claims say it is for that database (``id`` its name or id,
   ``gid`` its group's name or uuid, or ``p`` listing it: :func:`~tursotui.ops.token_claims.database_access`),
   it gives the access asked for, has not expired, and a ``SELECT 1`` with it is not refused (checked once a
   session; a token of another database or group, or a rotated one, is never used);
2. the token this session already holds for that database (minted earlier, or handed over by setup);
3. else ONE new short-lived token, minted through the Platform API with an expiry and a ``session`` entry in
   the ledger, held in memory for the session's later actions. Never written anywhere.

A read-only request is served by a read-only token; a full-access one serves it too only in a session
declared writable (:func:`register_session` with ``writes_allowed``): the console's read-only mode relies
on sqld itself refusing writes, and an unregistered session is treated as read-only. So a session mints
at most one token per database and access level, and a writable session that wrote first mints one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tursotui.libsql.keys import EncryptionKeys, RemoteEncryption
from tursotui.ops.errors import InputError, OpsError
from tursotui.platform import Database, PlatformError

# The console registers its session before its first frame: what only a token's use needs (the Hrana client,
# claims, the ledger) is imported where it is used.
if TYPE_CHECKING:
    from tursotui.libsql import HranaClient
    from tursotui.ops.token_claims import Authorization
    from tursotui.ops.tokens import TokenLedger

ACCESS_EXPIRATION = "1d"
REUSE_MARGIN = timedelta(minutes=10)
"""A held or configured token closer than this to its expiry is not handed out: a new one is minted."""

log = logging.getLogger(__name__)


@dataclass
class HeldToken:
    token: str = field(repr=False)
    group: str
    authorization: Authorization
    expires_at: datetime | None
    minted: bool
    """False: the configured token or one handed over (setup's), which this session did not mint."""

    def fresh(self, now: datetime) -> bool:
        return _fresh(self.expires_at, now)


def _fresh(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is None or expires_at - now > REUSE_MARGIN


@dataclass
class SessionTokens:
    """The tokens one session holds, by (organization, database, access)."""

    configured: str | None = field(default=None, repr=False)
    """``TURSO_AUTH_TOKEN``: reused for the databases its claims name."""
    writes_allowed: bool = False
    """The session may write (not the console's read-only mode): a full-access token serves reads too."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    keys: EncryptionKeys = field(default_factory=EncryptionKeys, repr=False)
    """The BYOK encryption keys of this session's databases (``tursotui.libsql.keys``)."""
    mints: int = 0
    """Tokens this session minted (the tests count them)."""
    held: dict[tuple[str, str, Authorization], HeldToken] = field(default_factory=dict)
    _refused: set[tuple[str, str]] = field(default_factory=set)
    """(organization, database) the configured token was refused by, or rotated away from."""
    _locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

    async def token_for(
        self,
        platform: Any,
        database: Database,
        *,
        read_only: bool,
        ledger: TokenLedger | None = None,
        target: str = "",
        expiration: str = ACCESS_EXPIRATION,
    ) -> str:
        """A token for ``database``: the configured one, one held, or one minted now (and then held)."""
        org = platform.organization or ""
        wanted: Authorization = "read-only" if read_only else "full-access"
        lock = self._locks.setdefault((org, database.name), asyncio.Lock())
        async with lock:  # two actions at once on one database still mint one token
            held = self._held(org, database.name, wanted)
            if held is not None:
                return held.token
            configured = await self._configured(platform, database, wanted)
            if configured is not None:
                return configured
            return await self._mint(platform, database, wanted, ledger, target, expiration)

    def hold(self, organization: str, database: Database, token: str) -> None:
        """Keep ``token`` (one this session did not mint: setup's own) for ``database``'s later actions."""
        from tursotui.ops.token_claims import database_access, decode_claims

        try:
            claims = decode_claims(token)
        except InputError:
            return
        access = database_access(
            claims, names=(database.name, database.db_id), groups=(database.group,)
        )
        if access is not None:
            self.held[(organization, database.name, access)] = HeldToken(
                token, database.group, access, claims.expires_at, minted=False
            )

    def forget(self, organization: str, database: str, token: str) -> None:
        """``token`` was refused by ``database`` (401: rotated, expired early): never handed out again."""
        for key, held in list(self.held.items()):
            if key[:2] == (organization, database) and held.token == token:
                del self.held[key]
        if token == self.configured:
            self._refused.add((organization, database))

    def forget_group(self, organization: str, group: str, databases: tuple[str, ...]) -> None:
        """The group's keys were rotated: every token of its databases this session knows stops working."""
        for key, held in list(self.held.items()):
            if key[0] == organization and ((group and held.group == group) or key[1] in databases):
                del self.held[key]
        self._refused.update((organization, name) for name in databases)

    # -- the three sources ---------------------------------------------------------------------------------

    def _held(self, org: str, name: str, wanted: Authorization) -> HeldToken | None:
        now = self.clock()
        accepted = ["full-access"] if wanted == "full-access" else ["read-only"]
        if wanted == "read-only" and self.writes_allowed:
            accepted.append("full-access")
        for access in accepted:
            held = self.held.get((org, name, access))  # type: ignore[arg-type]
            if held is not None and held.fresh(now):
                return held
        return None

    async def _configured(
        self, platform: Any, database: Database, wanted: Authorization
    ) -> str | None:
        from tursotui.ops.token_claims import database_access, decode_claims

        org = platform.organization or ""
        token = self.configured
        if not token or (org, database.name) in self._refused:
            return None
        try:
            claims = decode_claims(token)
        except InputError:
            return None
        groups = [database.group]
        if claims.group_id and claims.permissions is None and claims.group_id != database.group:
            groups.append(await _group_uuid(platform, database.group))
        access = database_access(claims, names=(database.name, database.db_id), groups=groups)
        if access is None or not (access == wanted or self._serves(access, wanted)):
            return None
        if not _fresh(claims.expires_at, self.clock()):
            return None
        if not await _opens(database, token, self.keys.key_for(database.name)):
            self._refused.add((org, database.name))
            return None
        self.held[(org, database.name, access)] = HeldToken(
            token, database.group, access, claims.expires_at, minted=False
        )
        return token

    def _serves(self, access: Authorization, wanted: Authorization) -> bool:
        return wanted == "read-only" and access == "full-access" and self.writes_allowed

    async def _mint(
        self,
        platform: Any,
        database: Database,
        wanted: Authorization,
        ledger: TokenLedger | None,
        target: str,
        expiration: str,
    ) -> str:
        from tursotui.ops.tokens import entry_for, parse_expiration

        minted = await platform.create_database_token(
            database.name, expiration=expiration, authorization=wanted
        )
        self.mints += 1
        lifetime = parse_expiration(expiration)
        entry = entry_for(
            minted.jwt,
            scope="database",
            database=database.name,
            group=database.group,
            organization=platform.organization or "",
            target=target,
            expiration=lifetime,
            kind="session",
        )
        if ledger is not None:
            try:
                ledger.record(entry)
            except OpsError as exc:  # a damaged ledger is reported where it is shown, not here
                log.warning("session token %s not recorded: %s", entry.fingerprint, exc)
        org = platform.organization or ""
        self.held[(org, database.name, wanted)] = HeldToken(
            minted.jwt, database.group, wanted, entry.expires, minted=True
        )
        return str(minted.jwt)


async def _group_uuid(platform: Any, group: str) -> str:
    """The group's uuid (a cloud token's ``gid``); empty when it cannot be read."""
    if not group:
        return ""
    try:
        return str((await platform.get_group(group)).uuid)
    except PlatformError:
        return ""


async def _opens(database: Database, token: str, key: str | None) -> bool:
    """Whether ``database`` takes ``token`` (``SELECT 1``): only a 401/403 says no; a database that cannot
    answer now (archived, blocked, unreachable, its encryption key missing) is left to the action to report."""
    from tursotui.libsql import HranaClient
    from tursotui.libsql.errors import AuthError, LibsqlError, PermissionDeniedError

    try:
        async with HranaClient(database.url, token, encryption_key=key) as client:
            await client.execute("SELECT 1")
    except (AuthError, PermissionDeniedError):
        return False
    except LibsqlError:
        return True
    return True


_SESSIONS: weakref.WeakKeyDictionary[Any, SessionTokens] = weakref.WeakKeyDictionary()


def session_tokens(platform: Any) -> SessionTokens:
    """The session of ``platform`` (one Platform API client): created on first use, gone with the client."""
    try:
        found = _SESSIONS.get(platform)
        if found is None:
            found = _SESSIONS[platform] = SessionTokens()
    except TypeError:  # a client that cannot be weakly referenced: a session of one action
        return SessionTokens()
    return found


def register_session(
    platform: Any,
    *,
    auth_token: str | None,
    writes_allowed: bool,
    encryption: EncryptionKeys | None = None,
) -> SessionTokens:
    """Declare ``platform``'s session: the configured ``TURSO_AUTH_TOKEN`` it may reuse, whether it may
    write (False in read-only mode) and the databases' encryption keys. Called where the client is made
    (the backend; the console's services)."""
    tokens = session_tokens(platform)
    tokens.configured = auth_token or None
    tokens.writes_allowed = writes_allowed
    if encryption is not None:
        tokens.keys = encryption
    return tokens


def sql_client(platform: Any, database: Database, token: str, **options: Any) -> HranaClient:
    """THE way to open a Hrana client on ``database``: with ``token`` and, when the session knows one, the
    database's encryption key (sent as ``x-turso-encryption-key`` on every request, as the official clients
    do). ``options`` go to :class:`HranaClient` (``http``, ``timeout``). A test fails if tursotui makes a
    HranaClient anywhere else (tests/unit/test_encryption_keys.py)."""
    from tursotui.libsql import HranaClient

    key = session_tokens(platform).keys.key_for(database.name)
    return HranaClient(database.url, token, encryption_key=key, **options)


def remote_encryption(platform: Any, database: str) -> RemoteEncryption | None:
    """``database``'s ``remote_encryption`` (key and cipher) as this session knows it, or None."""
    return session_tokens(platform).keys.encryption_for(database)


def copy_key(platform: Any, source: str, copy: str) -> str | None:
    """``copy`` (a branch or restore of ``source``) has ``source``'s key: the session uses it from now on.
    Returns the variable to set for later sessions, or None when ``source`` has no key here."""
    tokens = session_tokens(platform)
    encryption = tokens.keys.encryption_for(source)
    if encryption is None:
        return None
    tokens.keys = tokens.keys.adding(copy, encryption)
    return tokens.keys.variable(copy)

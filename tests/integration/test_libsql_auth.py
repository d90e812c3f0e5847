"""JWT auth against the real sqld (``--auth-jwt-key-file``), and the token never leaking."""

from __future__ import annotations

import logging
import time
import traceback

import pytest

from tursotui.libsql import (
    AuthError,
    HranaClient,
    HranaError,
    HttpError,
    PermissionDeniedError,
)
from tursotui.local.control.keys import SigningKey
from tursotui.local.engine.sqld import SqldProcess


async def test_no_token_is_an_auth_error(sqld_auth: SqldProcess) -> None:
    async with HranaClient(sqld_auth.http_url) as client:
        with pytest.raises(AuthError) as refused:
            await client.execute("SELECT 1")
    assert refused.value.status == 401
    assert "Expected authorization header" in str(refused.value)
    assert isinstance(refused.value, HttpError)


async def test_valid_token_reads_and_writes(
    sqld_auth: SqldProcess, signing_key: SigningKey
) -> None:
    async with HranaClient(sqld_auth.http_url, signing_key.mint(expires_in=60)) as client:
        await client.execute("CREATE TABLE t (a INTEGER)")
        await client.execute("INSERT INTO t VALUES (1)")
        async with client.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (2)")
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 2
        chunks = [chunk async for chunk in client.dump()]
        assert b"CREATE TABLE IF NOT EXISTS t" in b"".join(chunks)


async def test_read_only_token_cannot_write(
    sqld_auth: SqldProcess, signing_key: SigningKey
) -> None:
    async with HranaClient(sqld_auth.http_url, signing_key.mint()) as admin:
        await admin.execute("CREATE TABLE t (a INTEGER)")
        await admin.execute("INSERT INTO t VALUES (1)")
    async with HranaClient(sqld_auth.http_url, signing_key.mint(read_only=True)) as reader:
        assert (await reader.execute("SELECT count(*) FROM t")).scalar() == 1
        for sql in ("INSERT INTO t VALUES (2)", "CREATE TABLE u (a)", "DELETE FROM t"):
            with pytest.raises(PermissionDeniedError) as denied:
                await reader.execute(sql)
            assert denied.value.status == 403
            assert "Write permission" in str(denied.value)
        with pytest.raises(PermissionDeniedError):
            await reader.batch(["SELECT 1", "INSERT INTO t VALUES (3)"])
        with pytest.raises(PermissionDeniedError):
            async with reader.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (4)")
        # The reader still works after the refusals (no stream left open).
        assert (await reader.execute("SELECT count(*) FROM t")).scalar() == 1


async def test_expired_token_is_refused(sqld_auth: SqldProcess, signing_key: SigningKey) -> None:
    # sqld allows some clock leeway: a token expired 10 s ago still passed; 100 s ago does not.
    expired = signing_key.mint(expires_in=10, now=time.time() - 110)
    async with HranaClient(sqld_auth.http_url, expired) as client:
        with pytest.raises(AuthError, match="expired") as refused:
            await client.execute("SELECT 1")
    assert refused.value.status == 401


async def test_token_from_another_key_is_refused(sqld_auth: SqldProcess) -> None:
    stranger = SigningKey.generate().mint()
    async with HranaClient(sqld_auth.http_url, stranger) as client:
        with pytest.raises(AuthError, match="invalid"):
            await client.execute("SELECT 1")
        with pytest.raises(AuthError):
            async for _ in client.dump():
                pass
        # /health and /version need no token.
        assert await client.health()
        assert (await client.version()).startswith("sqld")


async def test_garbage_token_is_refused(sqld_auth: SqldProcess) -> None:
    async with HranaClient(sqld_auth.http_url, "not-a-jwt-at-all") as client:
        with pytest.raises(AuthError):
            await client.execute("SELECT 1")


async def test_token_never_in_repr_errors_or_logs(
    sqld_auth: SqldProcess, signing_key: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = signing_key.mint()
    ro = signing_key.mint(read_only=True)
    stranger = SigningKey.generate().mint()
    texts: list[str] = []
    async with HranaClient(sqld_auth.http_url, good) as client:
        texts += [repr(client), str(client), repr(client.stream()), repr(client.transaction())]
        await client.execute("CREATE TABLE t (a)")
        with pytest.raises(HranaError) as sql_error:
            await client.execute("SELECT * FROM nope")
        texts += [str(sql_error.value), repr(sql_error.value)]
    for token in (ro, stranger):
        async with HranaClient(sqld_auth.http_url, token) as client:
            texts.append(repr(client))
            with pytest.raises(HttpError) as http_error:
                await client.execute("INSERT INTO t VALUES (1)")
            texts += [str(http_error.value), repr(http_error.value)]
            texts.append("".join(traceback.format_exception(http_error.value)))
    # A server that is down: the connection error must not carry the token either.
    async with HranaClient("http://127.0.0.1:9", good, timeout=2.0) as down:
        with pytest.raises(HranaError) as unreachable:
            await down.execute("SELECT 1")
        texts.append("".join(traceback.format_exception(unreachable.value)))
    texts.append(caplog.text)
    blob = "\n".join(texts)
    for token in (good, ro, stranger):
        assert token not in blob
        assert token[-20:] not in blob
    assert "eyJ" in repr(HranaClient(sqld_auth.http_url, good))  # masked, still recognisable


async def test_token_in_url_query_is_used_and_hidden(
    sqld_auth: SqldProcess, signing_key: SigningKey
) -> None:
    token = signing_key.mint()
    async with HranaClient(f"{sqld_auth.http_url}?authToken={token}") as client:
        assert client.has_token
        assert token not in repr(client)
        assert token not in client.url
        assert (await client.execute("SELECT 1")).scalar() == 1

"""Behaviour that needs sqld's per-database config (namespaces): blocked writes, lock stealing."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from tursotui.libsql import BlockedError, HranaClient, TransactionTimeoutError
from tursotui.local.engine.sqld import SqldProcess


async def create_namespace(sqld: SqldProcess, name: str, **config: object) -> httpx.AsyncClient:
    """Create ``name`` (with config overrides) and return an HTTP client routed to it."""
    async with httpx.AsyncClient(base_url=sqld.admin_url) as admin:
        created = await admin.post(f"/v1/namespaces/{name}/create", json={})
        assert created.status_code == 200, created.text
        if config:
            current = (await admin.get(f"/v1/namespaces/{name}/config")).json()
            updated = await admin.post(f"/v1/namespaces/{name}/config", json={**current, **config})
            assert updated.status_code == 200, updated.text
    # sqld picks the namespace from this header (unpadded base64 of the name) or the Host's first label.
    header = base64.b64encode(name.encode()).decode().rstrip("=")  # sqld refuses padding
    return httpx.AsyncClient(headers={"x-namespace-bin": header})


async def test_blocked_writes_raise_blocked_error(sqld_namespaces: SqldProcess) -> None:
    async with (
        await create_namespace(sqld_namespaces, "quota") as http,
        HranaClient(sqld_namespaces.http_url, http=http) as client,
    ):
        await client.execute("CREATE TABLE t (a INTEGER)")
        await client.execute("INSERT INTO t VALUES (1)")
        async with httpx.AsyncClient(base_url=sqld_namespaces.admin_url) as admin:
            config = (await admin.get("/v1/namespaces/quota/config")).json()
            config.update(block_writes=True, block_reason="monthly write quota exhausted")
            assert (await admin.post("/v1/namespaces/quota/config", json=config)).is_success

        with pytest.raises(BlockedError) as blocked:
            await client.execute("INSERT INTO t VALUES (2)")
        assert blocked.value.code == "BLOCKED"
        assert "monthly write quota exhausted" in str(blocked.value)
        with pytest.raises(BlockedError) as in_batch:
            await client.batch(["SELECT 1", "INSERT INTO t VALUES (3)"])
        assert in_batch.value.step == 1
        # Reads still work while writes are blocked.
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 1


async def test_transaction_holding_the_lock_too_long_is_rolled_back(
    sqld_namespaces: SqldProcess,
) -> None:
    """sqld lets a write transaction keep the lock 5 s while another writer waits, then steals
    it: the waiting writer succeeds and the slow transaction gets TRANSACTION_TIMEOUT.
    (Without a waiting writer, sqld let a transaction stay open longer: measured 6 s.)"""
    http = await create_namespace(sqld_namespaces, "slow")
    async with (
        http,
        HranaClient(sqld_namespaces.http_url, http=http) as slow,
        HranaClient(sqld_namespaces.http_url, http=http) as fast,
    ):
        await slow.execute("CREATE TABLE t (a INTEGER)")
        with pytest.raises(TransactionTimeoutError) as timed_out:
            async with slow.transaction("immediate") as tx:
                await tx.execute("INSERT INTO t VALUES (1)")
                started = time.monotonic()
                await fast.execute("INSERT INTO t VALUES (99)")  # waits for the lock, then wins
                assert time.monotonic() - started > 4
                await tx.execute("INSERT INTO t VALUES (2)")
        assert timed_out.value.code == "TRANSACTION_TIMEOUT"
        assert "5 s" in str(timed_out.value)
        rows = await fast.execute("SELECT a FROM t")
        assert rows.rows == ((99,),)

"""ops/token_ledger.py's journal: a bulk mint's entries are one appended line each (O(1), fsynced, 0600, no
token), folded into token-ledger.json once the journal is as large as it (so N entries rewrite the ledger
O(log N) times, not N), read with the ledger meanwhile, folded by record/compact, revoked by mark_revoked;
a line a crash cut short is dropped, a damaged one is reported with its line number."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tursotui.ops import token_ledger
from tursotui.ops.errors import OpsError
from tursotui.ops.tokens import LedgerEntry, TokenLedger, entry_for

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def entry(n: int, group: str = "g", **extra: object) -> LedgerEntry:
    token = f"eyJhbGciOiJFZERTQSJ9.eyJhIjoicncifQ.signature-{n}"
    return entry_for(
        token,
        scope="database",
        database=f"tenant-{n:05d}",
        group=group,
        organization="acme",
        target="local",
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )


def ledger_json(ledger: TokenLedger) -> list[dict[str, object]]:
    if not ledger.path.exists():
        return []
    tokens = json.loads(ledger.path.read_text())["tokens"]
    assert isinstance(tokens, list)
    return tokens


def test_appends_are_lines_read_with_the_ledger(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.record(entry(0))
    for n in range(1, 4):
        ledger.append(entry(n))
    assert len(ledger_json(ledger)) == 1  # the ledger file is not rewritten per entry
    lines = ledger.journal.read_text().splitlines()
    assert [json.loads(line)["database"] for line in lines] == [
        "tenant-00001",
        "tenant-00002",
        "tenant-00003",
    ]
    assert "signature-1" not in ledger.journal.read_text()  # metadata only
    assert stat.S_IMODE(ledger.journal.stat().st_mode) == 0o600
    assert [e.database for e in ledger.entries()] == [f"tenant-{n:05d}" for n in range(4)]


def test_the_journal_is_folded_once_as_large_as_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token_ledger, "JOURNAL_MIN_BYTES", 2_000)
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    saves = 0
    real = TokenLedger._save

    def counted(self: TokenLedger, entries: object) -> None:
        nonlocal saves
        saves += 1
        real(self, entries)  # type: ignore[arg-type]

    monkeypatch.setattr(TokenLedger, "_save", counted)
    for n in range(1_000):
        ledger.append(entry(n))
    # each fold at least doubles the ledger: a handful of rewrites for 1,000 entries, not 1,000
    assert 3 <= saves <= 12, saves
    assert len(ledger_json(ledger)) + len(ledger.journal.read_text().splitlines()) == 1_000
    assert sorted(e.database for e in ledger.entries()) == [f"tenant-{n:05d}" for n in range(1_000)]
    ledger.compact()
    assert not ledger.journal.exists() and len(ledger_json(ledger)) == 1_000
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600


def test_record_folds_the_journal_and_drops_spent_sessions(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    session = entry(1, kind="session", expiration=None)
    spent = LedgerEntry(**{**session.to_json(), "expires_at": "2026-12-04T00:00:00Z"})
    ledger.append(spent)
    ledger.append(entry(2))
    ledger.record(entry(3), now=NOW)
    assert not ledger.journal.exists()
    assert [t["database"] for t in ledger_json(ledger)] == ["tenant-00002", "tenant-00003"]


def test_mark_revoked_covers_the_journal(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.record(entry(1, group="prod"))
    ledger.append(entry(2, group="prod"))
    ledger.append(entry(3, group="dev"))
    revoked = ledger.mark_revoked(group="prod", organization="acme", target="local", now=NOW)
    assert sorted(e.database for e in revoked) == ["tenant-00001", "tenant-00002"]
    assert not ledger.journal.exists()
    assert {e.database: e.revoked_at is not None for e in ledger.entries()} == {
        "tenant-00001": True,
        "tenant-00002": True,
        "tenant-00003": False,
    }


def test_a_fold_cut_short_shows_each_entry_once(tmp_path: Path) -> None:
    """A crash between writing the ledger and removing the journal: the ledger's copy wins."""
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.append(entry(1))
    journal = ledger.journal.read_bytes()
    ledger.compact()
    ledger.mark_revoked(group="g", organization="acme", target="local", now=NOW)
    ledger.journal.write_bytes(journal)  # the journal as it was before the fold
    (only,) = ledger.entries()
    assert only.revoked_at is not None


def test_a_line_cut_short_is_dropped_and_the_next_append_starts_clean(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.append(entry(1))
    with ledger.journal.open("ab") as fh:
        fh.write(b'{"database": "tenant-000')  # a crash mid-write
    assert [e.database for e in ledger.entries()] == ["tenant-00001"]
    ledger.append(entry(2))
    assert [e.database for e in ledger.entries()] == ["tenant-00001", "tenant-00002"]
    assert len(ledger.journal.read_text().splitlines()) == 2


def test_a_damaged_journal_is_reported_with_its_line(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.append(entry(1))
    with ledger.journal.open("ab") as fh:
        fh.write(b'{"scope": "nope"}\n')
    with pytest.raises(OpsError, match=r"token-ledger\.json\.journal is damaged at line 2"):
        ledger.entries()
    with pytest.raises(OpsError, match="damaged"):
        ledger.record(entry(3))
    assert not ledger.path.exists()  # nothing replaced


def test_an_entry_of_every_field_round_trips_through_the_journal(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    full = LedgerEntry(
        fingerprint="abcd1234",
        scope="api",
        database="",
        group="prod",
        authorization="read-only",
        created_at="2026-12-05T12:00:00Z",
        expires_at=(NOW + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        organization="acme",
        target="cloud",
        revoked_at=None,
        kind="session",
        holder_pid=4242,
        name="ci",
    )
    ledger.append(full)
    assert ledger.entries() == [full]
    ledger.compact()
    assert ledger.entries() == [full]


async def test_a_bulk_mint_appends_and_folds_when_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx
    from fixtures.fake_fleet import fleet_org, tenant
    from fixtures.fake_org import TOKEN

    from tursotui.ops import bulk
    from tursotui.ops.tokens import parse_expiration
    from tursotui.platform import PlatformClient

    monkeypatch.setattr(bulk, "LEDGER_SETTLE", 0.05)
    org = fleet_org(20)
    platform = PlatformClient(
        TOKEN, organization=org.slug, transport=httpx.MockTransport(org.handler), max_retries=0
    )
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.record(entry(99))
    appended: list[str] = []
    real = TokenLedger.append

    def counted(self: TokenLedger, item: LedgerEntry, **kw: object) -> None:
        appended.append(item.database)
        real(self, item, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(TokenLedger, "append", counted)
    sink = bulk.MintedTokens(tmp_path / "tokens" / "bulk.jsonl")
    work = bulk.mint_item(
        platform, parse_expiration("7d"), read_only=True, ledger=ledger, target="cloud", sink=sink
    )
    names = tuple(tenant(i) for i in range(1, 21))
    report = await bulk.run_bulk(bulk.BulkPlan("mint", names), work)
    assert report.summary() == "20 minted" and sorted(appended) == sorted(names)
    assert ledger.journal.exists() and len(ledger_json(ledger)) == 1  # appended, not yet folded
    assert len(ledger.entries()) == 21
    for _ in range(200):
        if not ledger.journal.exists():
            break
        await asyncio.sleep(0.01)
    assert not ledger.journal.exists()
    assert sorted(str(t["database"]) for t in ledger_json(ledger)) == sorted(
        (*names, "tenant-00099")
    )
    assert all(
        t["authorization"] == "read-only" and t["expires_at"] for t in ledger_json(ledger)[1:]
    )
    await platform.aclose()

"""Token helpers: expiration input, unverified claims, fingerprints, the metadata-only ledger,
expiry warnings; and restore timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tursotui.local.control.keys import SigningKey
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.restore import parse_restore_time
from tursotui.ops.tokens import (
    TokenLedger,
    decode_claims,
    entry_for,
    expiry_warnings,
    fingerprint,
    parse_expiration,
)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90d", 90 * 86400),
        ("2w1d30m", 15 * 86400 + 1800),
        ("12h", 43200),
        (" 1W ", 604800),
        ("never", None),
        ("3650d", 3650 * 86400),
    ],
)
def test_expirations(text: str, seconds: int | None) -> None:
    parsed = parse_expiration(text)
    assert parsed.seconds == seconds
    assert parsed.text == text.strip().lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no expiration"),
        ("90", "units w, d, h, m, s"),
        ("3x", "units"),
        ("-5d", "units"),
        ("0d", "longer than zero"),
        ("3651d", "at most 10 years"),
        ("1d 2h", "units"),
        ("forever", "units"),
    ],
)
def test_bad_expirations_are_clear(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_expiration(text)
    assert info.value.exit_code == 2


def test_decode_claims_without_verifying() -> None:
    key = SigningKey.generate()
    token = key.mint(read_only=True, expires_in=3600, extra={"id": "app"}, now=NOW.timestamp())
    claims = decode_claims(token)
    assert claims.algorithm == "EdDSA"
    assert claims.authorization == "read-only"
    assert claims.database_id == "app"
    assert claims.issued_at == NOW
    assert claims.expires_at == NOW + timedelta(hours=1)
    assert claims.expired(NOW + timedelta(hours=2)) and not claims.expired(NOW)
    group = decode_claims(key.mint(extra={"gid": "default"}))
    assert group.authorization == "full-access" and group.group_id == "default"
    assert group.expires_at is None
    # A forged signature decodes the same: this is for display, never for trust.
    forged = token.rsplit(".", 1)[0] + ".AAAA"
    assert decode_claims(forged).database_id == "app"


@pytest.mark.parametrize("text", ["", "abc", "a.b", "a.b.c", "!!.??.xx", "e30.W10.sig"])
def test_decode_claims_rejects_non_jwts_without_echoing(text: str) -> None:
    with pytest.raises(InputError, match="not a JWT") as info:
        decode_claims(text)
    assert text not in str(info.value) or not text


def test_fingerprint_is_stable_short_and_not_the_secret() -> None:
    token = SigningKey.generate().mint(extra={"id": "app"})
    fp = fingerprint(token)
    assert len(fp) == 8 and fp == fingerprint(token + "\n")
    assert fp not in token
    assert fingerprint(SigningKey.generate().mint(extra={"id": "app"})) != fp


def test_ledger_keeps_metadata_only(tmp_path: Path) -> None:
    ledger = TokenLedger.in_data_dir(tmp_path / "data")
    token = SigningKey.generate().mint(expires_in=90 * 86400, extra={"id": "app"})
    entry = entry_for(
        token,
        scope="database",
        database="app",
        group="default",
        organization="local",
        target="local",
    )
    ledger.record(entry)
    ledger.record(entry_for(token, scope="group", database="", group="other"))
    text = ledger.path.read_text()
    assert token not in text
    for part in token.split("."):
        assert part not in text
    assert ledger.path.stat().st_mode & 0o777 == 0o600
    entries = ledger.entries()
    assert entries[0] == entry and entries[0].expires_at is not None
    assert entries[1].subject == "group other"
    revoked = ledger.mark_revoked(group="default", organization="local", target="local")
    assert [e.fingerprint for e in revoked] == [entry.fingerprint]
    assert ledger.entries()[0].revoked_at is not None
    assert ledger.entries()[1].revoked_at is None
    assert json.loads(text)["version"] == 1


def test_a_damaged_ledger_is_reported_not_replaced(tmp_path: Path) -> None:
    ledger = TokenLedger(tmp_path / "token-ledger.json")
    ledger.path.write_text("{not json")
    with pytest.raises(OpsError, match="damaged"):
        ledger.entries()
    token = SigningKey.generate().mint()
    with pytest.raises(OpsError, match="damaged"):
        ledger.record(entry_for(token, scope="group", database="", group="g"))
    assert ledger.path.read_text() == "{not json"


def test_expiry_warnings(tmp_path: Path) -> None:
    key = SigningKey.generate()

    def entry(days: float | None, **extra: object):  # type: ignore[no-untyped-def]
        lifetime = None if days is None else days * 86400
        token = key.mint(expires_in=lifetime, now=NOW.timestamp())
        return entry_for(token, scope="database", database=f"db{days}", group="g")

    soon, later, never, gone, long_gone = entry(3), entry(30), entry(None), entry(-1), entry(-90)
    from dataclasses import replace

    revoked = replace(entry(2), revoked_at="2026-11-25T12:00:00Z")
    warnings = expiry_warnings([soon, later, never, gone, long_gone, revoked], now=NOW)
    assert [(w.entry, w.kind) for w in warnings] == [(gone, "expired"), (soon, "expiring")]
    assert "expires in 3 days" in warnings[1].message
    assert "has expired" in warnings[0].message


def test_restore_timestamps() -> None:
    assert parse_restore_time("2h ago", NOW) == NOW - timedelta(hours=2)
    assert parse_restore_time("1d12h ago", NOW) == NOW - timedelta(hours=36)
    assert parse_restore_time("3 days ago", NOW) == NOW - timedelta(days=3)
    assert parse_restore_time("now", NOW) == NOW
    assert parse_restore_time("2026-11-25T09:30:00Z", NOW) == datetime(
        2026, 11, 25, 9, 30, tzinfo=UTC
    )
    assert parse_restore_time("2026-11-25T11:30:00+02:00", NOW) == datetime(
        2026, 11, 25, 9, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no restore time given"),
        ("2026-11-25", "needs a time of day"),
        ("yesterday", "needs a time of day"),
        ("2027-01-01T00:00:00Z", "in the future"),
        ("2 parsecs ago", "unknown unit"),
        ("ago", "relative time"),
        ("2026-13-45T99:00:00Z", "month must be in 1..12"),
        ("0h ago", "more than zero"),
    ],
)
def test_bad_restore_timestamps(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_restore_time(text, NOW)

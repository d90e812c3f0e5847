"""``tursotui migrate`` end to end on a local Turso serving a fleet (``local serve --fleet N``) over real sqld:
apply with one failing database (the others applied, it unchanged, the statement and error named), a changed
file refused, kill-and-resume of a subprocess half-way (none half-migrated), a canary that passes (branch made,
verified, deleted) and one that fails (no tenant touched), drift with two deliberately drifted databases.

Each test serves its own fleet: 48 tenants (200 for kill-and-resume), well under a minute each."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.local_turso import local_serve, stop_serving

from tursotui.entry import main
from tursotui.local.engine.sqld import free_port
from tursotui.support.xswarm import SCHEMA

PLAN = (
    "-- every tenant gets a plan column, its index and an audit table\n"
    "ALTER TABLE users ADD COLUMN plan TEXT DEFAULT 'free';\n"
    "CREATE INDEX idx_users_plan ON users(plan);\n"
    "CREATE TABLE audit (\n  id INTEGER PRIMARY KEY,\n  at TEXT NOT NULL,\n  what TEXT\n);\n"
)


FEW_HUNDRED = 240
"""The issue's "fleet of a few hundred databases" for the apply and drift tests (kill-and-resume: 200)."""


@dataclass
class Fleet:
    home: Path
    port: int
    migrations: Path

    @property
    def config(self) -> Path:
        return self.home / "cfg" / "tursotui" / "config.toml"

    @property
    def data(self) -> Path:
        return self.home / "data" / "tursotui"

    def argv(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--data-dir", str(self.data), *args]

    def api(self) -> httpx.Client:
        token = (self.data / "local-turso" / "api-token").read_text().strip()
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}/v1/organizations/local",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def sql(self, database: str, statement: str) -> list[list[Any]]:
        with self.api() as api:
            db = api.get(f"/databases/{database}").json()["database"]
            jwt = api.post(f"/databases/{database}/auth/tokens").json()["jwt"]
        body = {
            "requests": [
                {"type": "execute", "stmt": {"sql": statement}},
                {"type": "close"},
            ]
        }
        answer = httpx.post(
            f"http://{db['Hostname']}/v2/pipeline",
            json=body,
            headers={"Authorization": f"Bearer {jwt}"},
            timeout=30,
        ).json()["results"][0]
        if answer["type"] != "ok":
            raise AssertionError(answer)
        rows = answer["response"]["result"]["rows"]
        return [[cell.get("value") for cell in row] for row in rows]

    def databases(self) -> list[str]:
        with self.api() as api:
            names: list[str] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
                page = api.get("/databases", params=params).json()
                names += [db["Name"] for db in page["databases"]]
                cursor = (page.get("pagination") or {}).get("next")
                if not cursor:
                    return names


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def write_migrations(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0001_create_users.sql").write_text(";\n".join(SCHEMA) + ";\n")
    (folder / "0002_add_plan.sql").write_text(PLAN)
    return folder


@pytest.fixture
def fleet(request: pytest.FixtureRequest, tmp_path: Path, sqld_binary: Path) -> Iterator[Fleet]:
    size = getattr(request, "param", 48)
    port = free_port()
    proc, output = local_serve(tmp_path / "home", port, "--fleet", str(size), users=2)
    try:
        assert "Platform API on" in output, output
        yield Fleet(tmp_path / "home", port, write_migrations(tmp_path / "migrations"))
    finally:
        stop_serving(proc)


def migrate(fleet: Fleet, capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    capsys.readouterr()
    code = main(fleet.argv("migrate", *args, "--dir", str(fleet.migrations)))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "eyJ" not in captured.out + captured.err, "a token was printed"
    return Ran(code, captured.out, captured.err)


def by_name(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["database"]: line for line in lines if "database" in line}


@pytest.mark.parametrize("fleet", [FEW_HUNDRED], indirect=True)
def test_apply_with_one_failing_database(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    """A fleet of a few hundred tenants: one fails, the others are applied, it is left unchanged."""
    n = FEW_HUNDRED
    status = migrate(fleet, capsys, "status", "--filter", "tenant-", "--json")
    assert status.code == 0, status.err
    *rows, summary = status.lines()
    assert len(rows) == n and {r["state"] for r in rows} == {"pending"}
    assert summary["summary"]["pending"] == n

    dry = migrate(fleet, capsys, "apply", "--filter", "tenant-", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert {r["result"] for r in by_name(dry.lines()).values()} == {"would-apply"}
    assert fleet.sql("tenant-00001", "SELECT count(*) FROM sqlite_schema WHERE name = 'audit'") == [
        ["0"]
    ]

    fleet.sql("tenant-00007", "CREATE TABLE audit (x)")  # 0002's CREATE TABLE audit fails here
    applied = migrate(fleet, capsys, "apply", "--filter", "tenant-", "--yes", "--json")
    assert applied.code == 1
    outcomes = by_name(applied.lines())
    failed = outcomes.pop("tenant-00007")
    assert {o["result"] for o in outcomes.values()} == {"applied"} and len(outcomes) == n - 1
    assert failed["result"] == "failed"
    assert failed["where"] == "0002_add_plan.sql line 4"
    assert failed["statement"].startswith("CREATE TABLE audit")
    assert "already exists" in failed["error"] and "nothing was committed" in failed["error"]
    assert applied.lines()[-1]["summary"]["applied"] == n - 1

    # The failing database is as it was: no ledger, no plan column; the others have both, with durations.
    names = fleet.sql("tenant-00007", "SELECT name FROM pragma_table_info('users')")
    assert ["plan"] not in names
    assert fleet.sql(
        "tenant-00007", "SELECT count(*) FROM sqlite_schema WHERE name = '_tursotui_migrations'"
    ) == [["0"]]
    ledger = fleet.sql(
        "tenant-00008", "SELECT id, checksum, applied_at, duration FROM _tursotui_migrations"
    )
    assert [row[0] for row in ledger] == ["1", "2"]
    assert all(len(row[1]) == 64 and row[2].endswith("Z") and row[3] is not None for row in ledger)

    again = migrate(fleet, capsys, "apply", "--filter", "tenant-", "--yes", "--json")
    results = {o["result"] for name, o in by_name(again.lines()).items() if name != "tenant-00007"}
    assert results == {"up-to-date"}

    text = migrate(fleet, capsys, "status", "--filter", "tenant-")
    assert (
        f"{n - 1:,} up-to-date, 1 pending" in text.out
        or f"{n - 1} up-to-date, 1 pending" in text.out
    )
    assert "tenant-00007" in text.out and "pending 0001, 0002" in text.out

    # A file changed since it was applied: status says so, apply refuses those databases.
    (fleet.migrations / "0002_add_plan.sql").write_text(PLAN + "-- edited\n")
    changed = migrate(fleet, capsys, "status", "--group", "fleet-1", "--json")
    assert changed.code == 1
    assert {r["state"] for r in changed.lines()[:-1]} <= {"changed", "pending"}
    refused = migrate(fleet, capsys, "apply", "--group", "fleet-1", "--yes", "--json")
    assert refused.code == 1
    assert any(
        o["result"] == "refused" and "0002 changed since it was applied" in o["error"]
        for o in by_name(refused.lines()).values()
    )


def test_bad_input_is_named_before_anything_is_contacted(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    (fleet.migrations / "0004_later.sql").write_text("SELECT 1;")
    gap = migrate(fleet, capsys, "status")
    assert (
        gap.code == 2
        and "migration 0003 is missing: 0004_later.sql follows 0002_add_plan.sql" in gap.err
    )
    (fleet.migrations / "0004_later.sql").unlink()
    (fleet.migrations / "3_bad.sql").write_text("SELECT 1;")
    bad = migrate(fleet, capsys, "apply", "--yes")
    assert bad.code == 2 and "migration file '3_bad.sql': the name must be NNNN_name.sql" in bad.err
    (fleet.migrations / "3_bad.sql").unlink()
    assert migrate(fleet, capsys, "apply", "--yes", "--filter", "grop:x").code == 2
    assert migrate(fleet, capsys, "apply", "--yes", "--concurrency", "0").code == 2
    unconfirmed = migrate(fleet, capsys, "apply", "--filter", "tenant-")
    assert unconfirmed.code == 2 and "without --yes" in unconfirmed.err


def test_canary_passes_then_the_fleet_goes(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = migrate(
        fleet, capsys, "apply", "--group", "fleet-2", "--canary", "tenant-00001", "--yes", "--json"
    )
    assert ran.code == 0, ran.out + ran.err
    canary = ran.lines()[0]["canary"]
    assert (
        canary["passed"]
        and canary["deleted"]
        and canary["branch"].startswith("tenant-00001-canary-")
    )
    assert canary["apply"]["result"] == "applied"
    assert {c["check"]: c["ok"] for c in canary["checks"]} == {
        "schema": True,
        "integrity_check": True,
        "row counts": True,
    }
    assert canary["branch"] not in fleet.databases()
    outcomes = by_name(ran.lines()[1:])
    assert outcomes and {o["result"] for o in outcomes.values()} == {"applied"}


def test_a_failing_canary_touches_no_tenant(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet.sql("tenant-00005", "CREATE TABLE audit (x)")
    ran = migrate(
        fleet, capsys, "apply", "--filter", "tenant-", "--canary", "tenant-00005", "--yes"
    )
    assert ran.code == 1
    assert "apply: 0002_add_plan.sql line 4:" in ran.out and "audit already exists" in ran.out
    assert "failed: no tenant was touched" in ran.out and "deleted" in ran.out
    assert not [n for n in fleet.databases() if "-canary-" in n]
    status = migrate(fleet, capsys, "status", "--filter", "tenant-", "--json")
    assert status.lines()[-1]["summary"]["pending"] == 48


def test_a_canary_never_deletes_a_database_it_did_not_make(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The branch's name is taken (say a canary left by an earlier run): refused before any create, and the
    database carrying that name is kept."""
    from tursotui.ops.migrate import canary

    monkeypatch.setattr(canary, "branch_name", lambda source: "tenant-00003")
    ran = migrate(
        fleet, capsys, "apply", "--filter", "tenant-", "--canary", "tenant-00005", "--yes"
    )
    assert ran.code == 1
    assert "a database named tenant-00003 already exists" in ran.out + ran.err
    assert "tenant-00003" in fleet.databases()


@pytest.mark.parametrize("fleet", [FEW_HUNDRED], indirect=True)
def test_drift_names_two_drifted_databases(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate(fleet, capsys, "apply", "--filter", "tenant-", "--yes").code == 0
    clean = migrate(fleet, capsys, "drift", "--filter", "tenant-")
    assert clean.code == 0 and "no drift" in clean.out
    fleet.sql("tenant-00003", "CREATE INDEX idx_users_phone ON users(phone)")
    fleet.sql("tenant-00011", "DROP INDEX idx_users_plan")
    # Only whitespace, case and quotes: not drift.
    fleet.sql("tenant-00012", "DROP TABLE audit")
    fleet.sql(
        "tenant-00012",
        'create   table "AUDIT" ( id integer primary key , at text not null, what text )',
    )
    found = migrate(fleet, capsys, "drift", "--filter", "tenant-", "--json")
    assert found.code == 1
    body = json.loads(found.out)
    assert body["drifted"] == ["tenant-00003", "tenant-00011"]
    groups = {tuple(g["databases"]): g for g in body["groups"]}
    diff = groups[("tenant-00003",)]["diff"]
    assert "+index idx_users_phone: create index idx_users_phone on users(phone)" in diff
    assert any(
        line.startswith("-index idx_users_plan") for line in groups[("tenant-00011",)]["diff"]
    )
    assert body["groups"][0]["expected"] and body["groups"][0]["count"] == FEW_HUNDRED - 2
    text = migrate(fleet, capsys, "drift", "--filter", "tenant-")
    assert any("DRIFTED" in line and "tenant-00003" in line for line in text.out.splitlines())
    assert "2 drifted, 0 unreadable" in text.out


@pytest.mark.parametrize("fleet", [200], indirect=True)
def test_killed_half_way_and_resumed(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "tursotui", *fleet.argv("migrate", "apply")]
    command += ["--dir", str(fleet.migrations), "--filter", "tenant-", "--yes", "--json"]
    proc = subprocess.Popen(
        [*command, "--concurrency", "4"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    seen = 0
    deadline = time.monotonic() + 60
    while seen < 60 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += '"result": "applied"' in line
    proc.send_signal(signal.SIGKILL)  # mid-run: transactions in flight die with it
    proc.wait(timeout=10)
    assert seen == 60

    # None half-migrated: every tenant has either both migrations (schema and ledger) or neither.
    status = migrate(fleet, capsys, "status", "--filter", "tenant-", "--json")
    states = [(r["state"], tuple(r["applied"])) for r in status.lines()[:-1]]
    assert set(states) == {("up-to-date", (1, 2)), ("pending", ())}
    done = sum(state == "up-to-date" for state, _ in states)
    assert 60 <= done < 200
    drift = json.loads(migrate(fleet, capsys, "drift", "--filter", "tenant-", "--json").out)
    assert sorted(g["count"] for g in drift["groups"]) == sorted([done, 200 - done])

    resumed = migrate(fleet, capsys, "apply", "--filter", "tenant-", "--yes", "--json")
    assert resumed.code == 0, resumed.err
    summary = resumed.lines()[-1]["summary"]
    assert (summary["up-to-date"], summary["applied"]) == (done, 200 - done)
    final = migrate(fleet, capsys, "status", "--filter", "tenant-", "--json")
    assert final.lines()[-1]["summary"]["up-to-date"] == 200


def test_a_canary_that_loses_rows_fails_its_check(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    """The migration applies, but a table the app reads is gone with its rows: the canary's row-count check
    fails, the branch is deleted and no tenant is touched."""
    (fleet.migrations / "0003_rename_users.sql").write_text("ALTER TABLE users RENAME TO people;\n")
    ran = migrate(
        fleet, capsys, "apply", "--group", "fleet-3", "--canary", "tenant-00002", "--yes", "--json"
    )
    assert ran.code == 1
    canary = ran.lines()[0]["canary"]
    assert canary["apply"]["result"] == "applied" and not canary["passed"] and canary["deleted"]
    counts = {c["check"]: c for c in canary["checks"]}["row counts"]
    assert not counts["ok"] and "users: 5 → gone" in counts["detail"]
    assert len(ran.lines()) == 1  # no tenant line: none was started
    status = migrate(fleet, capsys, "status", "--group", "fleet-3", "--json")
    assert {r["state"] for r in status.lines()[:-1]} == {"pending"}

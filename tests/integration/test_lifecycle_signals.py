"""SIGTERM, SIGHUP, SIGQUIT and SIGINT to `tursotui local serve` and to a CLI command mid-work: every sqld it
started is stopped (pid files, /proc) and the exit status is 128 + the signal's number. Real processes, real sqld."""

from __future__ import annotations

import shutil
import signal
import sqlite3
from pathlib import Path

import pytest
from fixtures.lifecycle import Setup, alive, serving, sqld_pids, stop, wait_for, wait_gone

from tursotui.local.engine.sqld import free_port

SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_local_serve_stops_every_sqld_on_a_stop_signal(tmp_path: Path, sig: signal.Signals) -> None:
    setup = Setup(tmp_path)
    setup.config.touch()
    proc = setup.start("local", "serve", "--port", str(free_port()), "--demo-users", "10")
    try:
        serving(proc)
        pids = sqld_pids(setup.local_dir)
        assert len(pids) == 3 and all(alive(p) for p in pids)  # primary, replicas iad and fra
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 128 + sig
    finally:
        stop(proc, setup.local_dir)
    assert wait_gone(pids) == []
    assert sqld_pids(setup.local_dir) == []  # closed normally: no pid file left for the next start


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A data dir with the demo org (made once), and a SQLite file big enough to import for seconds."""
    setup = Setup(tmp_path_factory.mktemp("seeded"))
    setup.config.write_text('[tursotui]\ntarget = "local"\n')
    done = setup.run("db", "list", "--json")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(setup.root / "big.db") as db:
        db.execute("create table items(id integer primary key, body text)")
        db.executemany(
            "insert into items(body) values (?)", ((f"item {n} " * 8,) for n in range(300_000))
        )
    return setup


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_cli_command_mid_work_stops_every_sqld_on_a_stop_signal(
    seeded: Setup, tmp_path: Path, sig: signal.Signals
) -> None:
    setup = Setup(tmp_path)
    shutil.copytree(seeded.root, tmp_path, dirs_exist_ok=True)
    proc = setup.start("import", str(setup.root / "big.db"), "--new", "big", "--yes")
    try:
        # Mid-work: its local Turso runs (the demo org's three sqld), the import has not finished.
        wait_for(lambda: len([p for p in sqld_pids(setup.local_dir) if alive(p)]) == 3, "3 sqld")
        pids = sqld_pids(setup.local_dir)
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 128 + sig
        assert proc.stderr is not None
        assert f"stopped by {sig.name}" in proc.stderr.read()
    finally:
        stop(proc, setup.local_dir)
    assert wait_gone(pids) == []
    assert sqld_pids(setup.local_dir) == []


def test_sqld_left_by_a_killed_command_are_stopped_at_the_next_start(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.config.touch()
    proc = setup.start("local", "serve", "--port", str(free_port()), "--demo-users", "10")
    try:
        serving(proc)
        pids = sqld_pids(setup.local_dir)
        proc.kill()  # SIGKILL: nothing can run, the sqld are left
        proc.wait(timeout=30)
        assert all(alive(p) for p in pids)
        done = setup.run("db", "list", "--json")
        assert done.returncode == 0, done.stderr
        assert "stopped left-over sqld" in done.stderr
    finally:
        stop(proc, setup.local_dir)
    assert wait_gone(pids) == []

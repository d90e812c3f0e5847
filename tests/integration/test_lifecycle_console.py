"""SIGTERM or SIGHUP (a dropped SSH session) to the console in a real pty: it exits through Textual's normal
path, so the terminal is given back sane (ICANON, ECHO, ISIG on, as before), and its local Turso child and
every sqld stop. Real processes, real sqld."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import struct
import subprocess
import termios
import threading
from pathlib import Path

import pytest
from fixtures.lifecycle import Setup, alive, serving, sqld_pids, stop, wait_for, wait_gone

from tursotui.local.engine.lock import LOCK_FILE
from tursotui.local.engine.sqld import free_port

SANE = termios.ICANON | termios.ECHO | termios.ISIG


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A data dir with the demo org, made once (copied per test)."""
    setup = Setup(tmp_path_factory.mktemp("seeded"))
    setup.config.write_text('[tursotui]\ntarget = "local"\n')
    done = setup.run("db", "list", "--json")
    assert done.returncode == 0, done.stderr
    return setup


class Pty:
    """A pseudo-terminal: the program gets the slave side, the test reads everything it writes."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def lflag(self) -> int:
        return int(termios.tcgetattr(self.slave)[3])

    def close(self) -> None:
        os.close(self.slave)
        os.close(self.master)


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT], ids=lambda s: s.name
)
def test_a_signalled_console_restores_the_terminal_and_stops_its_children(
    seeded: Setup, tmp_path: Path, sig: signal.Signals
) -> None:
    setup = Setup(tmp_path)
    shutil.copytree(seeded.root, tmp_path, dirs_exist_ok=True)
    term = Pty()
    before = term.lflag()
    assert before & SANE == SANE
    env = setup.environ() | {"TERM": "xterm-256color"}
    console = subprocess.Popen(
        setup.argv(),
        env=env,
        stdin=term.slave,
        stdout=term.slave,
        stderr=term.slave,
        start_new_session=True,
    )
    try:
        wait_for(lambda: not term.lflag() & termios.ICANON, "Textual's raw mode")
        wait_for(lambda: b"xswarm-users" in term.output, "the dashboard")
        child = int((setup.local_dir / LOCK_FILE).read_text())  # the local Turso's process
        pids = sqld_pids(setup.local_dir)
        assert alive(child) and len(pids) == 3 and all(alive(p) for p in pids)
        console.send_signal(sig)
        assert console.wait(timeout=60) == 128 + sig
        after = term.lflag()
    finally:
        if console.poll() is None:
            console.kill()
            console.wait(timeout=30)
        stop(console, setup.local_dir)  # type: ignore[arg-type]
        term.close()
    assert after & SANE == SANE
    assert after == before
    assert wait_gone([child, *pids]) == []


def test_a_console_attaches_to_a_running_local_serve(seeded: Setup, tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    shutil.copytree(seeded.root, tmp_path, dirs_exist_ok=True)
    server = setup.start("local", "serve", "--port", str(free_port()))
    term = Pty()
    console = None
    try:
        serving(server)
        pids = sqld_pids(setup.local_dir)
        console = subprocess.Popen(
            setup.argv(),
            env=setup.environ() | {"TERM": "xterm-256color"},
            stdin=term.slave,
            stdout=term.slave,
            stderr=term.slave,
            start_new_session=True,
        )
        wait_for(lambda: b"xswarm-users" in term.output, "the dashboard")
        assert f"served by pid {server.pid}".encode() in term.output
        assert not (setup.local_dir / "console-child.log").exists()  # no local Turso of its own
        assert sorted(sqld_pids(setup.local_dir)) == sorted(pids)
        console.send_signal(signal.SIGTERM)
        assert console.wait(timeout=60) == 128 + signal.SIGTERM
        assert server.poll() is None and all(alive(p) for p in pids)  # the server keeps serving
    finally:
        if console is not None and console.poll() is None:
            console.kill()
            console.wait(timeout=30)
        stop(server, setup.local_dir)
        term.close()
    assert wait_gone(pids) == []

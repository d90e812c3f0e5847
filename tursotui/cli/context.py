"""What every scriptable command shares: settings, the backend, output, errors, confirmation.

Errors become one line on stderr (``tursotui: ...``, secrets scrubbed) and, with ``--json``, an
``{"error": ..., "exit_code": ...}`` object on stdout. Exit codes: 0 ok, 1 failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from tursotui.backend import Backend, open_backend
from tursotui.config import CliOptions, ConfigError, Settings, resolve
from tursotui.libsql.errors import LibsqlError
from tursotui.local.control.state import StateError
from tursotui.local.engine.sqld import SqldError
from tursotui.ops.errors import ImportConflictError, InputError, OpsError
from tursotui.ops.names import check_name
from tursotui.platform import PlatformError
from tursotui.stopsignals import StopSignals, run_stoppable
from tursotui.support.redact import scrub

OK, FAILED, BAD_INPUT = 0, 1, 2


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: list[str] = field(default_factory=list)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def yes(self) -> bool:
        return bool(getattr(self.args, "yes", False))

    def add_secret(self, secret: str | None) -> None:
        if secret:
            self.secrets.append(secret)

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)

    # -- output ---------------------------------------------------------------------------------

    def out(self, text: str = "") -> None:
        """Human output on stdout (nothing in --json mode)."""
        if not self.json:
            print(self.scrub(text), file=self.stdout)

    def info(self, text: str) -> None:
        """Notes and warnings on stderr (also in --json mode)."""
        print(self.scrub(text), file=self.stderr)

    def emit(self, data: Any) -> None:
        """The --json result on stdout."""
        if self.json:
            print(json.dumps(data, indent=2, sort_keys=True, default=str), file=self.stdout)

    def fail(self, message: str, code: int, extra: dict[str, Any] | None = None) -> int:
        return report_failure(self.json, self.scrub(message), code, extra, self.stdout, self.stderr)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        data = [[str(c) for c in row] for row in rows]
        widths = [max([len(h), *(len(r[i]) for r in data)]) for i, h in enumerate(headers)]
        for row in [list(headers), *data]:
            self.out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    def progress(self, text: str) -> None:
        """A progress line that overwrites itself, only on an interactive stderr."""
        if self.stderr.isatty():
            self.stderr.write(f"\r\x1b[2K{text}")
            self.stderr.flush()

    def end_progress(self) -> None:
        if self.stderr.isatty():
            self.stderr.write("\r\x1b[2K")
            self.stderr.flush()

    # -- input ----------------------------------------------------------------------------------

    def confirm(self, action: str, *, typed: str | None = None) -> None:
        """Proceed with --yes; else ask on a terminal; else refuse (:class:`InputError`)."""
        if self.yes:
            return
        if not sys.stdin.isatty():
            raise InputError(f"refusing to {action} without --yes (not an interactive terminal)")
        if typed is not None:
            answer = self._ask(f"Type {typed!r} to {action}: ")
            if answer != typed:
                raise InputError(f"not confirmed: nothing was done ({action})")
            return
        answer = self._ask(f"{action[0].upper()}{action[1:]}? [y/N] ").lower()
        if answer not in ("y", "yes"):
            raise InputError(f"not confirmed: nothing was done ({action})")

    def _ask(self, prompt: str) -> str:
        """A prompt on stderr (stdout stays clean for --json), the answer from stdin."""
        self.stderr.write(prompt)
        self.stderr.flush()
        return sys.stdin.readline().strip()

    def database_name(self, given: str | None) -> str:
        """``given`` or ``[turso] database_name``, checked."""
        name = given or self.settings.config.turso.database_name
        if not name:
            raise InputError(
                "no database given and [turso] database_name is not set in "
                f"{self.settings.config_path}"
            )
        return check_name(name)

    # -- backend --------------------------------------------------------------------------------

    @asynccontextmanager
    async def backend(self) -> AsyncIterator[Backend]:
        """The configured backend: the local Turso already serving this data dir, or started here (it creates
        its demo org on first use)."""
        waiting = lambda why: self.info(f"tursotui: {why}")  # noqa: E731
        async with open_backend(self.settings, demo=True, waiting=waiting) as backend:
            self.settings = resolve(CliOptions.from_args(self.args))  # what a new demo org wrote
            for secret in backend.secrets():
                self.add_secret(secret)
            for notice in backend.notices:
                self.info(f"local Turso: {notice}")
            yield backend


def report_failure(
    as_json: bool,
    message: str,
    code: int,
    extra: dict[str, Any] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """One line on stderr; with --json also ``{"error", "exit_code"}`` on stdout. Returns code."""
    line = " ".join(message.split())
    print(f"tursotui: {line}", file=stderr or sys.stderr)
    if as_json:
        body = {"error": line, "exit_code": code, **(extra or {})}
        print(json.dumps(body, indent=2, sort_keys=True, default=str), file=stdout or sys.stdout)
    return code


def run(args: argparse.Namespace, body: Callable[[Context], Awaitable[int]]) -> int:
    """Resolve settings, run ``body`` and turn every expected failure into an exit code."""
    as_json = bool(getattr(args, "json", False))
    try:
        settings = resolve(CliOptions.from_args(args))
        if settings.target == "cloud":
            settings.require_cloud_credentials()
    except ConfigError as exc:
        return report_failure(as_json, str(exc), BAD_INPUT)
    ctx = Context(args, settings)
    ctx.add_secret(settings.api_token)
    ctx.add_secret(settings.auth_token)
    signals = StopSignals()
    try:
        code = run_stoppable(_guarded(ctx, body), signals)
    except KeyboardInterrupt:
        ctx.end_progress()
        return ctx.fail("interrupted: nothing was left half-done", 130)
    if signals.received is not None:
        name = signal.Signals(signals.received).name
        with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
            ctx.end_progress()
            ctx.fail(f"stopped by {name}: every process it started was stopped", code)
    return code


async def _guarded(ctx: Context, body: Callable[[Context], Awaitable[int]]) -> int:
    try:
        return await body(ctx)
    except ImportConflictError as exc:
        ctx.end_progress()
        return ctx.fail(exc.message, FAILED, {"conflicts": exc.conflicts})
    except (OpsError, ConfigError) as exc:
        ctx.end_progress()
        code = BAD_INPUT if isinstance(exc, ConfigError) else exc.exit_code
        return ctx.fail(str(exc), code)
    except (PlatformError, LibsqlError, SqldError, StateError) as exc:
        ctx.end_progress()
        return ctx.fail(str(exc), FAILED)
    except OSError as exc:
        ctx.end_progress()
        where = f" ({exc.filename})" if exc.filename else ""
        return ctx.fail(f"{exc.strerror or exc}{where}", FAILED)

"""What every scriptable command shares: settings, the backend, output, errors, confirmation, secrets.

Errors become one line on stderr (``tursotui: ...``) and, with ``--json``, an ``{"error": ..., "exit_code": ...}``
object on stdout; the exit codes come from the one table in :mod:`tursotui.cli.errors`. Everything printed (text,
JSON, errors, warnings logged by tursotui's modules) goes through the run's :class:`Secrets`, shared with the
backend: known tokens and anything JWT- or bearer-shaped are masked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from tursotui.backend import Backend, open_backend
from tursotui.cli.errors import BAD_INPUT, FAILED, OK, failure, report_failure
from tursotui.config import CliOptions, Settings, resolve
from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.stopsignals import StopSignals, run_stoppable
from tursotui.support.redact import Secrets

__all__ = ["BAD_INPUT", "FAILED", "OK", "Context", "report_failure", "run"]


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: Secrets = field(default_factory=Secrets)
    """The run's tokens, shared with the backend (which adds the local Turso's)."""
    _said: set[str] = field(default_factory=set, repr=False)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def yes(self) -> bool:
        return bool(getattr(self.args, "yes", False))

    def add_secret(self, secret: str | None) -> None:
        self.secrets.add(secret)

    def scrub(self, text: str) -> str:
        return self.secrets.scrub(text)

    # -- output ---------------------------------------------------------------------------------

    def out(self, text: str = "") -> None:
        """Human output on stdout (nothing in --json mode)."""
        if not self.json:
            print(self.scrub(text), file=self.stdout)

    def info(self, text: str) -> None:
        """Notes and warnings on stderr (also in --json mode)."""
        print(self.scrub(text), file=self.stderr)

    def notice(self, text: str) -> None:
        """What the local Turso reports (a port it moved, a sqld it stopped), on stderr once per run: its
        warning as it happens and its start notices afterwards are the same news."""
        if text not in self._said:
            self._said.add(text)
            self.info(f"local Turso: {text}")

    def emit(self, data: Any, *, reveal: str | None = None) -> None:
        """The --json result on stdout, scrubbed; ``reveal``: the one token the command prints on purpose
        (``token create``), left whole wherever it is a whole value."""
        if self.json:
            plain = json.loads(json.dumps(data, default=str))
            body = self.secrets.scrub_json(plain, reveal=reveal)
            print(json.dumps(body, indent=2, sort_keys=True), file=self.stdout)

    def fail(self, message: str, code: int, extra: dict[str, Any] | None = None) -> int:
        """Report a failure (scrubbed) and return its exit code."""
        clean = (
            self.secrets.scrub_json(json.loads(json.dumps(extra, default=str))) if extra else None
        )
        return report_failure(self.json, self.scrub(message), code, clean, self.stdout, self.stderr)

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
        async with open_backend(
            self.settings, demo=True, waiting=waiting, secrets=self.secrets
        ) as backend:
            self.settings = resolve(CliOptions.from_args(self.args))  # what a new demo org wrote
            self.secrets.add(self.settings.api_token, self.settings.auth_token)
            for notice in backend.notices:
                self.notice(notice)
            yield backend


class _Warnings(logging.Handler):
    """Warnings logged by tursotui's modules during a command, on its stderr: scrubbed, and a local Turso's
    warning said once (:meth:`Context.notice`) instead of once as a log line and again as a start notice."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(logging.WARNING)
        self.ctx = ctx
        self.addFilter(ctx.secrets.log_filter())

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        if record.name.startswith("tursotui.local."):
            self.ctx.notice(text)
        else:
            self.ctx.info(f"tursotui: {text}")


@contextlib.contextmanager
def _warnings_to(ctx: Context) -> Iterator[None]:
    logger = logging.getLogger("tursotui")
    handler = _Warnings(ctx)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def run(args: argparse.Namespace, body: Callable[[Context], Awaitable[int]]) -> int:
    """Resolve settings, run ``body`` and turn every expected failure into an exit code (the table in
    :mod:`tursotui.cli.errors`)."""
    as_json = bool(getattr(args, "json", False))
    secrets = Secrets()
    try:
        settings = resolve(CliOptions.from_args(args))
        secrets.add(settings.api_token, settings.auth_token)
        if settings.target == "cloud":
            settings.require_cloud_credentials()
    except Exception as exc:
        found = failure(exc)
        if found is None:
            raise
        return report_failure(as_json, secrets.scrub(found.message), found.code)
    ctx = Context(args, settings, secrets=secrets)
    signals = StopSignals()
    with _warnings_to(ctx):
        try:
            code = run_stoppable(_guarded(ctx, body), signals)
        except KeyboardInterrupt as exc:
            ctx.end_progress()
            return _report(ctx, exc)
        if signals.received is not None:
            name = signal.Signals(signals.received).name
            with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
                ctx.end_progress()
                ctx.fail(f"stopped by {name}: every process it started was stopped", code)
    return code


def _report(ctx: Context, error: BaseException) -> int:
    found = failure(error)
    if found is None:
        raise error
    return ctx.fail(found.message, found.code, found.extra or None)


async def _guarded(ctx: Context, body: Callable[[Context], Awaitable[int]]) -> int:
    try:
        return await body(ctx)
    except Exception as exc:
        if failure(exc) is None:
            raise
        ctx.end_progress()
        return _report(ctx, exc)

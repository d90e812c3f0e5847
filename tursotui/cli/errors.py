"""Every exit code of the command line, in one table: which failure gives which code, and its one-line message.

    0    ok
    1    the operation failed (the server said no, sqld or the local Turso could not run, a file could not be
         written, a verification did not check out)
    2    bad input (a name, a time, a flag, config.toml or .env): nothing was contacted or changed
    130  interrupted (ctrl+c)
    128 + N  stopped by signal N (SIGTERM 143, SIGHUP 129): ``tursotui.stopsignals``
    (argparse itself exits 2 on an unknown flag or a missing argument.)

The table names each exception class by module and name and is matched against the modules already imported:
an error can only be an instance of a class whose module was loaded, so looking a code up never imports the
Platform client or the local Turso (``--help`` and ``config check`` stay fast).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

OK, FAILED, BAD_INPUT, INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Failure:
    """What the command line says about an error: its exit code, one line, and extra ``--json`` fields."""

    code: int
    message: str
    extra: dict[str, Any]


EXIT_CODES: tuple[tuple[str, str, int], ...] = (
    # (module, class, exit code); the first row the error is an instance of wins: subclasses first.
    ("builtins", "KeyboardInterrupt", INTERRUPTED),
    ("tursotui.config.errors", "ConfigError", BAD_INPUT),
    ("tursotui.ops.errors", "InputError", BAD_INPUT),
    ("tursotui.ops.errors", "OpsError", FAILED),
    ("tursotui.platform.errors", "PlatformError", FAILED),
    ("tursotui.libsql.errors", "LibsqlError", FAILED),
    ("tursotui.local.engine.sqld", "SqldError", FAILED),
    ("tursotui.local.control.state", "StateError", FAILED),
    ("builtins", "OSError", FAILED),
)


def _loaded(module: str, name: str) -> type[BaseException] | None:
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def exit_code(error: BaseException) -> int | None:
    """The exit code of an expected failure; None for anything else (a bug: let it raise)."""
    for module, name, code in EXIT_CODES:
        cls = _loaded(module, name)
        if cls is not None and isinstance(error, cls):
            return code
    return None


def failure(error: BaseException) -> Failure | None:
    """What to report for ``error``, or None when it is not an expected failure."""
    code = exit_code(error)
    if code is None:
        return None
    if isinstance(error, KeyboardInterrupt):
        return Failure(code, "interrupted: nothing was left half-done", {})
    extra: dict[str, Any] = {}
    conflicts = getattr(error, "conflicts", None)
    if isinstance(conflicts, list):  # an import that would clash: the clashes, for scripts
        extra["conflicts"] = conflicts
    if isinstance(error, OSError) and code == FAILED:  # a file or socket: what and which
        where = f" ({error.filename})" if error.filename else ""
        return Failure(code, f"{error.strerror or error}{where}", extra)
    return Failure(code, str(error) or type(error).__name__, extra)


def report_failure(
    as_json: bool,
    message: str,
    code: int,
    extra: dict[str, Any] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """One line on stderr (``tursotui: ...``); with --json also ``{"error", "exit_code"}`` (and ``extra``) on
    stdout. ``message`` and ``extra`` must be scrubbed already. Returns ``code``."""
    line = " ".join(message.split())
    print(f"tursotui: {line}", file=stderr or sys.stderr)
    if as_json:
        body = {"error": line, "exit_code": code, **(extra or {})}
        print(json.dumps(body, indent=2, sort_keys=True, default=str), file=stdout or sys.stdout)
    return code

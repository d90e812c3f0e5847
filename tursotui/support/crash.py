"""Crash files: a traceback without locals, redacted by the one policy (``support.redact``).

Textual's default crash output is a traceback *with locals*, which would print tokens. The app writes this file
instead and exits with one line naming it.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import traceback
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tursotui import __version__
from tursotui.support import humanize as fmt
from tursotui.support.atomic import atomic_write
from tursotui.support.redact import redact

__all__ = ["crash_report", "redact", "write_crash_file"]


def crash_report(error: BaseException, secrets: Iterable[str | None], now: datetime) -> str:
    lines = [
        f"tursotui {__version__} crash report",
        f"time     {now.isoformat()}",
        f"python   {platform.python_version()} on {sys.platform}",
        "",
        "".join(traceback.format_exception(error)),  # never capture_locals
    ]
    return redact("\n".join(lines), list(secrets))


def write_crash_file(
    data_dir: Path, error: BaseException, secrets: Iterable[str | None], now: datetime
) -> Path:
    """Write ``crash-<UTC timestamp>.log`` (0600) into ``data_dir`` (the temp dir if that fails)."""
    report = crash_report(error, secrets, now).encode("utf-8")
    name = f"crash-{fmt.utc_stamp(now)}.log"
    try:
        target = data_dir / name
        atomic_write(target, report, mode=0o600)
    except OSError:
        target = Path(tempfile.gettempdir()) / name
        atomic_write(target, report, mode=0o600)
    return target

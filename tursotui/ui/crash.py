"""Crash files: a traceback without locals, every known token scrubbed (no Textual here).

Textual's default crash output is a traceback *with locals*, which would print tokens. The app writes this file
instead and exits with one line naming it.
"""

from __future__ import annotations

import platform
import re
import sys
import tempfile
import traceback
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tursotui import __version__
from tursotui.support import humanize as fmt
from tursotui.support.atomic import atomic_write
from tursotui.support.redact import mask, scrub

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)(?![^\s'\"]{4}…\(\d+ chars\)|\*{4}(?![^\s'\"]))([^\s'\"]+)")
"""A bearer credential not masked yet (a JWT after ``Bearer`` is masked once, by ``_JWT``)."""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Scrub the known ``secrets``, then anything that looks like a JWT or a bearer credential."""
    text = scrub(text, secrets)
    text = _JWT.sub(lambda m: mask(m.group(0)), text)
    return _BEARER.sub(lambda m: m.group(1) + mask(m.group(2)), text)


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

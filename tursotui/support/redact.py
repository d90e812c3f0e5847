"""Keep secrets out of screens, logs, exceptions, crash files and ``--json`` output: one policy.

    secrets = Secrets([settings.api_token])
    secrets.add(minted.token)
    line = secrets.scrub(text)      # the known tokens, then anything JWT- or bearer-shaped

:class:`Secrets` is made once per run (by the backend, or by whoever starts before it) and shared: the CLI's
context and the console's services hold the same object, so a token minted anywhere is scrubbed everywhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
"""Anything shaped like a JWT (a header starting ``{"``, base64url-encoded), known or not."""
BEARER = re.compile(r"(?i)(bearer\s+)(?![^\s'\"]{4}…\(\d+ chars\)|\*{4}(?![^\s'\"]))([^\s'\"]+)")
"""A bearer credential not masked yet (a JWT after ``Bearer`` is masked once, by :data:`JWT`)."""


def mask(secret: str | None) -> str:
    """A recognisable but useless form of a token: its first 4 characters and its length."""
    if not secret:
        return "(none)"
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}…({len(secret)} chars)"


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each known secret in ``text`` by its masked form (no patterns: see
    :func:`redact`)."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, mask(secret))
    return text


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """The policy: scrub the known ``secrets``, then anything that looks like a JWT or a bearer credential.
    Masking twice changes nothing."""
    text = scrub(text, secrets)
    text = JWT.sub(lambda m: mask(m.group(0)), text)
    return BEARER.sub(lambda m: m.group(1) + mask(m.group(2)), text)


class Secrets:
    """The tokens this run knows (API, database, minted ones), and :func:`redact` with them.

    Iterating gives the known values (for code that only needs them, such as the SQL history's filter); the
    object itself is never printed with them (``repr`` counts them)."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._values: list[str] = []
        self.add(*values)

    def add(self, *values: str | None) -> None:
        """Remember ``values`` (empty ones and ones already known are skipped)."""
        for value in values:
            if value and value not in self._values:
                self._values.append(value)

    def scrub(self, text: str) -> str:
        return redact(text, tuple(self._values))

    def scrub_json(self, data: Any, *, reveal: str | None = None) -> Any:
        """``data`` (JSON-shaped: dicts, lists, strings, numbers) with every string scrubbed, except a string
        equal to ``reveal``: the one token a command was asked to print."""
        if isinstance(data, str):
            return data if reveal is not None and data == reveal else self.scrub(data)
        if isinstance(data, dict):
            return {k: self.scrub_json(v, reveal=reveal) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.scrub_json(v, reveal=reveal) for v in data]
        return data

    def log_filter(self) -> logging.Filter:
        """A logging filter that scrubs each record's message (its arguments merged in first)."""
        return _ScrubRecords(self)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def __repr__(self) -> str:
        return f"Secrets({len(self._values)} known)"


class _ScrubRecords(logging.Filter):
    def __init__(self, secrets: Secrets) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.secrets.scrub(record.getMessage())
        record.args = None
        if record.exc_info:  # the traceback text, scrubbed, instead of the exception object
            record.exc_text = self.secrets.scrub(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        return True

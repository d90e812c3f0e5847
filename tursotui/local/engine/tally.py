"""What each database instance's proxy saw: requests, and rows read and written counted from sqld's answers.

Every Hrana statement result sqld sends back carries ``"rows_read": N`` and ``"rows_written": N`` (HTTP
pipelines, cursors, and Hrana over WebSocket alike). The proxy passes the answer's body bytes through a
:class:`RowScanner` as they go by — no JSON parsing, no copy kept: those two keys can only appear as keys
(a value or a column name with the same text is a JSON string, quoted and escaped). Counting here costs
nothing per idle database and never asks sqld (a ``/stats`` call loads the namespace and evicts busy ones:
sqld-namespaces.md §6), and a database nobody used has no tally at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(rb'"rows_(read|written)":\s*(\d+)')
_WINDOW = 48
"""Bytes kept between two pieces of an answer: more than a key and the largest count."""


@dataclass(eq=False)
class Tally:
    """One instance's counts since the local Turso started (the billing meters carry them over)."""

    database: str = ""
    location: str = ""
    sink: set[Tally] | None = None
    """Where a tally with counts not yet taken is put (the data plane's ``counted``): the meters visit
    only those, not every instance of the fleet."""
    requests: int = 0
    rows_read: int = 0
    rows_written: int = 0
    bytes_synced: int = 0
    """Bytes of sync-v2 answers (frames and snapshots) sent to embedded replicas."""
    written: bool = False
    """A statement wrote rows since the last recovery point looked (control.pitr clears it)."""

    def take(self) -> dict[str, int]:
        """The counts since the last take (then zero): the billing meters add them up."""
        out = {
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "bytes_synced": self.bytes_synced,
        }
        self.rows_read = self.rows_written = self.bytes_synced = 0
        if self.sink is not None:
            self.sink.discard(self)
        return out

    def counted(self) -> None:
        if self.sink is not None:
            self.sink.add(self)


class RowScanner:
    """Adds the ``rows_read``/``rows_written`` of one answer's body to a :class:`Tally`, piece by piece."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self._tail = b""

    def feed(self, data: bytes) -> None:
        buf = self._tail + data
        keep_from = max(0, len(buf) - _WINDOW)
        for match in _KEY.finditer(buf):
            if match.end() == len(buf):  # its digits may go on in the next piece
                keep_from = min(keep_from, match.start())
                break
            self.tally.counted()
            if match.group(1) == b"read":
                self.tally.rows_read += int(match.group(2))
            elif count := int(match.group(2)):
                self.tally.rows_written += count
                self.tally.written = True
            keep_from = max(keep_from, match.end())
        self._tail = buf[keep_from:]

    def close(self) -> None:
        """The answer ended: a count at its very end is whole."""
        self.feed(b" ")
        self._tail = b""

"""Per-instance meters: a billing period's usage, counted by the proxies (:meth:`Meters.add`).

The local Turso counts rows read and written from sqld's answers in each instance's proxy (engine.tally) and
adds them here; :meth:`Meters.read` (sqld's own cumulative counters, which go back after a restart) is the
earlier way and stays for a meter file written by it.

sqld counts rows read, rows written and replicated frames per namespace, cumulatively, and keeps the counts
in the namespace's ``stats.json`` every 5 seconds: a restarted sqld starts again from its last saved counts,
so a counter can go back. A meter keeps, per instance, the counts when the period began (``base``), what the
counter lost to restarts (``carry``: the last reading it went back from) and its last reading (``seen``);
the period's usage is ``seen + carry - base``. The local Turso reads every meter when it stops, so a clean
restart loses nothing; a hard kill loses what sqld had not saved (at most its last 5 seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COUNTERS = ("rows_read", "rows_written", "bytes_synced")
Counts = dict[str, int]


def zero() -> Counts:
    return dict.fromkeys(COUNTERS, 0)


def counts(raw: dict[str, int]) -> Counts:
    return {c: int(raw.get(c, 0)) for c in COUNTERS}


@dataclass
class Meter:
    base: Counts = field(default_factory=zero)
    carry: Counts = field(default_factory=zero)
    seen: Counts = field(default_factory=zero)

    def usage(self) -> Counts:
        return {c: max(0, self.seen[c] + self.carry[c] - self.base[c]) for c in COUNTERS}


class Meters:
    """Every instance's meter for one period; ``pending``: instances the period's start could not read."""

    def __init__(self) -> None:
        self.meters: dict[str, Meter] = {}
        self.pending: set[str] = set()
        self.changed = False
        """A reading moved a meter since the last save (:meth:`saved`)."""

    def read(self, uuid: str, raw: dict[str, int] | None) -> Counts:
        """The period's usage of instance ``uuid`` given sqld's counters ``raw`` (None: sqld did not answer)."""
        meter = self.meters.get(uuid)
        if raw is None:
            return meter.usage() if meter is not None else zero()
        now = counts(raw)
        if meter is None:
            # New since the period began (its counters started with it), or not read at its start.
            meter = Meter(base=dict(now) if uuid in self.pending else zero(), seen=dict(now))
            self.meters[uuid] = meter
            self.pending.discard(uuid)
            self.changed = True
        elif now != meter.seen:
            for c in COUNTERS:
                if now[c] < meter.seen[c]:  # sqld restarted from older saved counts
                    meter.carry[c] += meter.seen[c] - now[c]
            meter.seen = now
            self.changed = True
        return meter.usage()

    def add(self, uuid: str, moved: Counts) -> None:
        """Counts the proxy saw for instance ``uuid`` since the last :meth:`add` (engine.tally)."""
        meter = self.meters.get(uuid)
        if meter is None:
            meter = self.meters[uuid] = Meter()
            self.pending.discard(uuid)
        for c in COUNTERS:
            meter.seen[c] += int(moved.get(c, 0))
        self.changed = True

    def usage_of(self, uuid: str) -> Counts:
        meter = self.meters.get(uuid)
        return meter.usage() if meter is not None else zero()

    def new_period(self) -> None:
        """Every meter starts the period at zero (its counts so far belong to the last period)."""
        for meter in self.meters.values():
            meter.base = {c: meter.seen[c] + meter.carry[c] for c in COUNTERS}
        self.pending.clear()
        self.changed = True

    def start_period(self, readings: dict[str, dict[str, int] | None]) -> None:
        """A new period from ``readings`` (every instance now; None: sqld did not answer)."""
        self.meters = {
            uuid: Meter(base=counts(raw), seen=counts(raw))
            for uuid, raw in readings.items()
            if raw is not None
        }
        self.pending = {uuid for uuid, raw in readings.items() if raw is None}
        self.changed = True

    def saved(self) -> None:
        """What :meth:`to_json` gave is on disk: call only once the write succeeded (a failed one leaves
        the readings to be saved again)."""
        self.changed = False

    def to_json(self) -> dict[str, Any]:
        return {
            "meters": {
                uuid: {"base": m.base, "carry": m.carry, "seen": m.seen}
                for uuid, m in self.meters.items()
            },
            "pending": sorted(self.pending),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Meters:
        """``KeyError``/``TypeError``/``ValueError`` for anything but what :meth:`to_json` wrote."""
        out = cls()
        out.meters = {
            str(uuid): Meter(
                base=counts(m["base"]), carry=counts(m["carry"]), seen=counts(m["seen"])
            )
            for uuid, m in data["meters"].items()
        }
        out.pending = {str(uuid) for uuid in data["pending"]}
        return out

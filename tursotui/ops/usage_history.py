"""Usage history the console samples itself, kept in ``<data_dir>/usage-history.json`` (no Textual here).

The Platform API only reports the current period's totals, so the app records a sample on each refresh (at most
one per ``min_spacing``), per target and organization, bounded to ``max_samples``, written atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tursotui.platform.models import parse_timestamp
from tursotui.support.atomic import atomic_write

FILE_NAME = "usage-history.json"
VERSION = 1
MAX_SAMPLES = 2000
MAX_SERIES = 16
MIN_SPACING = timedelta(seconds=60)

log = logging.getLogger("tursotui.ui")


@dataclass(frozen=True)
class UsageSample:
    at: datetime
    rows_read: int = 0
    rows_written: int = 0
    storage_bytes: int = 0
    bytes_synced: int = 0

    def to_json(self) -> list[Any]:
        stamp = self.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return [stamp, self.rows_read, self.rows_written, self.storage_bytes, self.bytes_synced]

    @classmethod
    def from_json(cls, item: object) -> UsageSample | None:
        if not isinstance(item, list) or len(item) != 5:
            return None
        at = parse_timestamp(item[0]) if isinstance(item[0], str) else None
        numbers = item[1:]
        if at is None or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            return None
        return cls(at, *numbers)


class UsageHistory:
    """One series (``key``, e.g. ``cloud:acme``) of the history file."""

    def __init__(
        self,
        data_dir: Path,
        key: str,
        *,
        max_samples: int = MAX_SAMPLES,
        min_spacing: timedelta = MIN_SPACING,
    ) -> None:
        self.path = data_dir / FILE_NAME
        self.key = key
        self.max_samples = max_samples
        self.min_spacing = min_spacing
        self._series: dict[str, list[UsageSample]] | None = None

    def _load(self) -> dict[str, list[UsageSample]]:
        if self._series is not None:
            return self._series
        series: dict[str, list[UsageSample]] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable usage history %s: %s", self.path, exc)
            raw = None
        if isinstance(raw, dict) and raw.get("version") == VERSION:
            stored = raw.get("series")
            if isinstance(stored, dict):
                for key, items in stored.items():
                    if isinstance(key, str) and isinstance(items, list):
                        samples = [s for s in map(UsageSample.from_json, items) if s is not None]
                        series[key] = sorted(samples, key=lambda s: s.at)[-self.max_samples :]
        self._series = series
        return series

    @property
    def samples(self) -> list[UsageSample]:
        return list(self._load().get(self.key, []))

    def record(self, sample: UsageSample) -> bool:
        """Append ``sample`` unless the last one is younger than ``min_spacing``; True if it was written."""
        series = self._load()
        samples = series.setdefault(self.key, [])
        if samples and sample.at - samples[-1].at < self.min_spacing:
            return False
        samples.append(sample)
        del samples[: -self.max_samples]
        if len(series) > MAX_SERIES:
            oldest = sorted(series, key=lambda k: series[k][-1].at if series[k] else sample.at)
            for key in oldest[: len(series) - MAX_SERIES]:
                if key != self.key:
                    del series[key]
        body = {
            "version": VERSION,
            "series": {key: [s.to_json() for s in items] for key, items in series.items()},
        }
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        atomic_write(self.path, data, mode=0o600)
        return True

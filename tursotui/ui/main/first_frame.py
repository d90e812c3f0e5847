"""The instant first frame: the last known snapshot of the target (``ops/snapshot_cache.py``), loaded before
the first refresh and saved after each full one (:class:`LastKnown`), and the line under the banner while it is
shown instead of live data (:class:`CachedMark`): "cached · as of HH:MM UTC, refreshing…", or why the refresh
failed. The mark goes once a live refresh has replaced the snapshot: nothing cached is ever shown unmarked."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from textual.widgets import Label

from tursotui.ops import snapshot_cache
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.ui.services import Services

log = logging.getLogger("tursotui.ui")


class LastKnown:
    """The cache file of the console's target: the local Turso's org, or the Turso Cloud host and org."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def key(self) -> str:
        s = self.services
        return snapshot_cache.cache_key(
            s.target, s.organization, str(getattr(s.platform, "base_url", ""))
        )

    def load(self) -> OrgSnapshot | None:
        return snapshot_cache.load(self.services.data_dir, self.key)

    async def keep(self, snapshot: OrgSnapshot) -> None:
        """Save a full snapshot for the next start's first frame (a failure is logged; the console goes on)."""
        try:
            snapshot_cache.save_later(self.services.data_dir, self.key, snapshot)  # not waited for
        except OSError as exc:
            log.warning("the snapshot was not cached for the next start: %s", exc)


class CachedMark(Label):
    DEFAULT_CSS = """
    CachedMark {
        display: none; height: 1; width: 1fr; padding: 0 1;
        background: $warning; color: $background; text-style: bold;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    CachedMark.-shown { display: block; }
    CachedMark.-failed { background: $error; color: $text; }
    """

    def __init__(self) -> None:
        super().__init__("", id="cached-mark", markup=False)
        self.as_of: datetime | None = None
        """When the snapshot shown was fetched; None: what is shown is live (or nothing)."""

    def show_cached(self, as_of: datetime, now: datetime, databases: int) -> None:
        self.as_of = as_of
        self._when = as_of_text(as_of, now)
        self._count = f"{databases:,} database{'s' if databases != 1 else ''}"
        self.update(f"⏱ cached · as of {self._when} ({self._count}), refreshing…")
        self.set_class(False, "-failed")
        self.add_class("-shown")

    def refresh_failed(self, why: str) -> None:
        """The live refresh failed: the cached data stays, marked, and the mark says so."""
        if self.as_of is None:
            return
        self.update(f"⏱ cached · as of {self._when} ({self._count}) · refresh failed: {why}")
        self.add_class("-failed")

    def clear(self) -> None:
        self.as_of = None
        self.update("")
        self.remove_class("-shown", "-failed")


def as_of_text(moment: datetime, now: datetime) -> str:
    """``10:42 UTC`` the same day, ``3 Dec 10:42 UTC`` before."""
    at, today = moment.astimezone(UTC), now.astimezone(UTC)
    if at.date() == today.date():
        return at.strftime("%H:%M UTC")
    return f"{at.day} {at.strftime('%b %H:%M UTC')}"

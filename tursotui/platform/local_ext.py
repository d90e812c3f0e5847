"""The local Turso's endpoints beyond the Platform API, as client methods (the local Turso only: Turso
Cloud answers 404, which callers turn into "n/a" or the plan's window)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.platform._core import PlatformCore, segment

if TYPE_CHECKING:
    from tursotui.platform.models_local import RecoveryPoints, ReplicaLag


class LocalExtensions(PlatformCore):
    async def local_replication(
        self, database: str, *, org: str | None = None
    ) -> dict[str, ReplicaLag]:
        """Instance name -> replication index and lag."""
        from tursotui.platform.models_local import parse_replication

        return await self._call(
            "GET", self._local_path(database, org, "replication"), parse_replication
        )

    async def local_recovery_points(
        self, database: str, *, org: str | None = None
    ) -> RecoveryPoints:
        """The recovery points kept for ``database`` and their retention."""
        from tursotui.platform.models_local import parse_recovery_points

        return await self._call(
            "GET", self._local_path(database, org, "recovery-points"), parse_recovery_points
        )

    def _local_path(self, database: str, org: str | None, what: str) -> str:
        return f"/v1/organizations/{self._org(org)}/databases/{segment(database)}/local-{what}"

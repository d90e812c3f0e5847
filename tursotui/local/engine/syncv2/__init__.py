"""Embedded-replica sync "v2" (``/info``, ``/export``, ``/sync``) served by the local Turso over sqld's replication log.

``codec`` (byte formats) · ``grpcweb`` (sqld's ``wal_log.ReplicationLog``) · ``store`` (persisted generations) ·
``follower`` (catch-up with sqld) · ``database`` (one database's state) · ``server`` (the HTTP answers).
"""

from tursotui.local.engine.syncv2.server import SyncServer, is_sync_route
from tursotui.local.engine.syncv2.store import Policy

__all__ = ["Policy", "SyncServer", "is_sync_route"]

"""Embedded-replica sync "v2" (``/info``, ``/export``, ``/sync``) served by the local Turso over sqld's replication log.

``codec`` (byte formats) · ``grpcweb`` (sqld's ``wal_log.ReplicationLog``) · ``store`` (persisted generations) ·
``files`` (durable writes, the generation counter) · ``follower`` (catch-up with sqld) · ``database`` (one
database's state) · ``answers`` (the HTTP answers) · ``server`` (grants, stores by database id, the answer).
"""

from tursotui.local.engine.syncv2.server import SyncAccess, SyncServer, is_sync_route
from tursotui.local.engine.syncv2.store import Policy

__all__ = ["Policy", "SyncAccess", "SyncServer", "is_sync_route"]

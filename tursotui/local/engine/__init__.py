"""The local Turso's processes and ports: sqld itself, the per-instance proxies and their guards."""

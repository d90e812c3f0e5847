"""The Turso Platform API the local Turso serves (Starlette routes, bodies, rendering)."""

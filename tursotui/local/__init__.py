"""The local Turso: the Turso Platform API served over real sqld. Never imports textual."""

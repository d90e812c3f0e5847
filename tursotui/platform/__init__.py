"""Turso Platform API client. Never imports textual."""

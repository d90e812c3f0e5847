"""tursotui: a terminal console for Turso (libSQL) databases.

Kept import-light on purpose: `tursotui --version` must not load Textual or httpx.
"""

__version__ = "0.1.0"

"""tursotui: a terminal console for Turso (libSQL) databases.

Kept import-light on purpose: `tursotui --version` must not load Textual or httpx.
"""

__version__ = "0.1.0"


def skip_httpx_cli() -> None:
    """Keep httpx from importing its command line (click, rich.progress, pygments: 25–45 ms of a cold start).

    httpx imports it whenever those packages are installed; tursotui never runs it, and httpx falls back to a
    stub when it cannot be imported. Called first thing by the ``tursotui`` command and the local Turso's process.
    """
    import sys

    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

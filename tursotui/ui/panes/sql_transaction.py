"""The SQL console's transaction line: shown only while a run's transaction is open, with how long it has
been open and Turso's limits (``tursotui.ops.sql.session.transaction_banner``)."""

from __future__ import annotations

from textual.widgets import Static

from tursotui.ops.sql.session import SqlSession, transaction_banner


class TransactionIndicator(Static):
    """Shown only while a run's transaction is open: how long, and the server's limits."""

    DEFAULT_CSS = """
    TransactionIndicator {
        display: none;
        height: auto;
        color: $warning;
        text-style: bold;
    }
    TransactionIndicator.-open {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="sql-transaction", markup=False)
        self.session: SqlSession | None = None

    def follow(self, session: SqlSession | None) -> None:
        """Show ``session``'s open transaction (None, or no transaction: hidden)."""
        self.session = session
        self.refresh_state()

    def refresh_state(self) -> None:
        seconds = self.session.transaction_seconds() if self.session is not None else None
        self.set_class(seconds is not None, "-open")
        self.update(transaction_banner(seconds) if seconds is not None else "")

    @property
    def open(self) -> bool:
        return self.has_class("-open")

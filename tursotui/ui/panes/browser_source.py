"""Which database the table browser shows, and its SQL session: the selected database (the main screen's), the
organization's first when none is selected yet. A session on the previous database is closed before one on the
next is opened; each session's token is a secret (scrubbed from anything shown)."""

from __future__ import annotations

from tursotui.ops.browse.session import SqlSession
from tursotui.ui.host import OrgView
from tursotui.ui.services import Services


class BrowserSource:
    def __init__(self, services: Services, org: OrgView) -> None:
        self.services = services
        self.org = org
        self.database: str | None = org.selected or services.database_name or None
        """The database browsed (None: not known yet)."""
        self.session: SqlSession | None = None

    def select(self, name: str | None) -> bool:
        """Browse ``name`` from now on; False when nothing changes."""
        if name is None or name == self.database:
            return False
        self.database = name
        return True

    def name(self) -> str:
        """The database browsed; the organization's first when none was selected (a LookupError if none)."""
        if self.database is None:
            snapshot = self.org.snapshot
            first = snapshot.first_database if snapshot is not None else None
            if first is None:
                raise LookupError(
                    "no database to browse: the organization has none"
                    if snapshot is not None
                    else "no database selected yet: the organization is still being listed"
                )
            self.database = first
        return self.database

    async def open(self) -> SqlSession:
        """A session on the database browsed (the previous database's is closed first)."""
        name = self.name()
        if self.session is not None and self.session.database != name:
            previous, self.session = self.session, None
            await previous.aclose()
        if self.session is None:
            session = await SqlSession.open(
                self.services.platform,
                name,
                read_only=self.services.read_only,
                ledger=self.services.ledger,
                target=self.services.target,
            )
            self.services.secrets.add(session.token)
            self.session = session
        return self.session

    async def aclose(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            await session.aclose()

"""Messages widgets post upward; the main screen and the app handle them (UI changes happen in handlers).
The app hands what it gets from the wizards (RefreshRequested, DatabaseSelected) to the main screen."""

from __future__ import annotations

from textual.message import Message


class ErrorOccurred(Message):
    """Something failed. ``modal``: open the copyable error modal; else a notification (``e`` shows it)."""

    def __init__(self, title: str, text: str, *, modal: bool = False) -> None:
        super().__init__()
        self.title = title
        self.text = text
        self.modal = modal


class RefreshRequested(Message):
    """The backend changed (a location added or removed): refresh now."""


class DatabaseSelected(Message):
    """The operator moved to or picked a database (the Databases pane), or a flow pointed config at one
    (setup, restore): the main screen makes it the selected database and every pane follows."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

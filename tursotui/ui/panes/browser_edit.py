"""Insert, edit and delete in the table browser, as dialogs: the row editor asks for the values (insert and
edit), the change is built as bound SQL, and the SQL confirmation shows exactly the statement that will run
(a delete as destructive). Nothing runs here: ``confirmed_change`` returns the confirmed query with its verb,
or None when there is nothing to run (the operator has been told why); the browser pane executes it."""

from __future__ import annotations

from typing import Any

from textual.app import App

from tursotui.libsql.values import Value
from tursotui.ops.browse.query import Query, TableInfo, delete_query, insert_query, update_query
from tursotui.ui.dialogs.row import RowEditorScreen, SqlConfirmScreen

Row = tuple[tuple[Value, ...], dict[str, Value]]
"""The highlighted row: its key, then its values by column."""
VERBS = {"insert": "Insert a row", "edit": "Update a row", "delete": "Delete a row"}


async def confirmed_change(
    app: App[Any], info: TableInfo, kind: str, row: Row | None
) -> tuple[str, Query] | None:
    """``kind`` is insert, edit or delete (of ``row``); call it from a worker (it awaits the dialogs)."""
    query: Query | None
    if kind == "insert":
        typed = await app.push_screen_wait(
            RowEditorScreen(f"Insert into {info.name}", info.columns, {})
        )
        if typed is None:
            return None
        query = insert_query(info, typed)
    else:
        if row is None:
            app.notify("No row highlighted", severity="warning", timeout=3, markup=False)
            return None
        key, values = row
        if kind == "delete":
            query = delete_query(info, key)
        else:
            typed = await app.push_screen_wait(
                RowEditorScreen(f"Edit a row of {info.name}", info.columns, values)
            )
            if typed is None:
                return None
            query = update_query(info, key, values, typed)
            if query is None:
                app.notify("Nothing changed", timeout=3, markup=False)
                return None
    verb = VERBS[kind]
    confirmed = await app.push_screen_wait(
        SqlConfirmScreen(f"{verb} of {info.name}: run this?", query, destructive=kind == "delete")
    )
    if not confirmed:
        app.notify("Nothing changed", timeout=3, markup=False)
        return None
    return verb, query

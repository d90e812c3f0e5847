"""Insert, edit and delete in the table browser, as dialogs: the row editor asks for the values (insert and
edit), the change is built as bound SQL, and the SQL confirmation shows exactly the statement that will run
(a delete as destructive) and names the row by its identifying columns (id, email…), not only by its rowid.
Nothing runs here: ``confirmed_change`` returns the confirmed query with its verb, or None when there is nothing
to run (the operator has been told why); the browser pane executes it. ``confirmed_search`` asks before a search
that reads the whole table (the SQL console's EXPLAIN QUERY PLAN check)."""

from __future__ import annotations

from typing import Any

from textual.app import App

from tursotui.libsql.values import Value
from tursotui.ops.browse.query import (
    PageRequest,
    Query,
    TableInfo,
    delete_query,
    describe_row,
    insert_query,
    update_query,
)
from tursotui.ops.browse.session import SqlSession
from tursotui.ui.dialogs.row import RowEditorScreen, SqlConfirmScreen
from tursotui.ui.dialogs.sql import ScanWarningScreen

Row = tuple[tuple[Value, ...], dict[str, Value]]
"""The highlighted row: its key, then its values by column."""
VERBS = {"insert": "Insert a row", "edit": "Update a row", "delete": "Delete a row"}


async def confirmed_change(
    app: App[Any], info: TableInfo, kind: str, row: Row | None
) -> tuple[str, Query] | None:
    """``kind`` is insert, edit or delete (of ``row``); call it from a worker (it awaits the dialogs)."""
    query: Query | None
    which = ""
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
        which = describe_row(info, key, values)
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
        SqlConfirmScreen(
            f"{verb} of {info.name}: run this?", query, destructive=kind == "delete", row=which
        )
    )
    if not confirmed:
        app.notify("Nothing changed", timeout=3, markup=False)
        return None
    return verb, query


async def confirmed_search(app: App[Any], session: SqlSession, request: PageRequest) -> bool:
    """Whether to run ``request`` (a search): at once when an index serves it; when its plan reads the whole
    table, only after the operator chose "search anyway". Call it from a worker (it awaits the dialog); the
    plan's errors propagate."""
    search = request.search
    scan = await session.full_scan(request)
    if search is None or scan is None:
        return True
    table = request.table.name
    go_on = await app.push_screen_wait(
        ScanWarningScreen(
            f"{table}: {search.describe()}",
            scan.tables,
            scan.plan,
            what=f"Searching {search.column}",
            proceed="Search anyway",
            index=f"CREATE INDEX idx_{table}_{search.column} ON {table}({search.column})",
        )
    )
    if not go_on:
        app.notify("Search cancelled: nothing was read", timeout=3, markup=False)
    return bool(go_on)

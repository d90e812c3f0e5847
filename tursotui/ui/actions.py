"""Every action of the console, declared once as data: bindings, the help overlay and the palette read it.
The keys that show a tab are made from the tab registry (``tabs.TABS``), listed after Help."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from tursotui.ui.tabs import TAB_IDS, TABS

Scope = str
"""``"app"`` (everywhere) or a tab's id (the actions of its pane); checked below."""


@dataclass(frozen=True)
class ActionSpec:
    id: str
    """Stable binding id (for keymaps): ``<scope>.<action>``."""
    title: str
    help: str
    action: str
    key: str
    scope: Scope
    key_display: str | None = None
    show: bool = True
    """Shown in the Footer."""
    writes: bool = False
    """Changes something on the backend (refused in read-only mode)."""

    @property
    def shown_key(self) -> str:
        return self.key_display or self.key.split(",")[0]


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("app.refresh", "Refresh", "Fetch everything again now", "refresh", "ctrl+r", "app"),
    ActionSpec("app.help", "Help", "Keys of the focused pane", "help", "question_mark", "app", "?"),
    *(
        ActionSpec(
            f"app.show_{t.id}", t.title, t.help, f"show_tab({t.id!r})", t.key, "app", show=False
        )
        for t in TABS
    ),
    ActionSpec(
        "app.last_error",
        "Last error",
        "Show the last error in full (copyable)",
        "last_error",
        "e",
        "app",
        show=False,
    ),
    ActionSpec(
        "app.palette",
        "Commands",
        "Search every action",
        "command_palette",
        "colon",
        "app",
        ":",
        show=False,
    ),
    ActionSpec("app.quit", "Quit", "Quit tursotui", "quit", "q", "app"),
    ActionSpec(
        "databases.add_location",
        "Add replica",
        "Add a replica location to the database's group",
        "add_location",
        "a",
        "databases",
        writes=True,
    ),
    ActionSpec(
        "databases.remove_location",
        "Remove replica",
        "Remove a replica location from the database's group (never the primary)",
        "remove_location",
        "x",
        "databases",
        writes=True,
    ),
    ActionSpec(
        "databases.copy_url",
        "Copy URL",
        "Copy the database's libsql:// URL (OSC 52, works over SSH)",
        "copy_url",
        "c",
        "databases",
    ),
    ActionSpec(
        "databases.unarchive",
        "Unarchive",
        "Unarchive the selected database's group (an archived database answers 502)",
        "unarchive",
        "u",
        "databases",
        show=False,
        writes=True,
    ),
    ActionSpec(
        "databases.branch",
        "Branch",
        "A NEW database copied from the selected one, now or as of a time (turso db branch)",
        "branch",
        "B",
        "databases",
        show=False,
        writes=True,
    ),
    ActionSpec(
        "databases.focus_instances",
        "Instances",
        "Move between the databases and the instances",
        "switch_table",
        "i",
        "databases",
        show=False,
    ),
)


BROWSER_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "app.restore",
        "Restore",
        "Restore a database to a point in time, into a NEW database",
        "restore",
        "R",
        "app",
        show=False,
    ),
    ActionSpec(
        "app.setup",
        "Setup",
        "Guided first-time setup: the guide's Quick Setup Checklist (re-run to resume)",
        "setup",
        "S",
        "app",
        show=False,
        writes=True,
    ),
    ActionSpec(
        "app.import",
        "Import",
        "Import a SQLite file or .sql dump into a new or existing database",
        "import_data",
        "I",
        "app",
        show=False,
        writes=True,
    ),
    ActionSpec("browser.pick_table", "Table", "Pick the table to browse", "pick_table", "t", "browser"),
    ActionSpec(
        "browser.search",
        "Search",
        "Search by email, phone, xswarm_phone or stripe_customer_id: exact, or prefix with a trailing *",
        "search",
        "slash",
        "browser",
        "/",
    ),
    ActionSpec(
        "browser.search_column",
        "Search column",
        "Cycle the column searched",
        "cycle_search_column",
        "f",
        "browser",
        show=False,
    ),
    ActionSpec("browser.sort", "Sort", "Cycle the sort over the indexed columns", "cycle_sort", "s", "browser"),
    ActionSpec("browser.next_page", "Next page", "The next page (keyset)", "next_page", "pagedown,right_square_bracket", "browser", "pgdn", show=False),
    ActionSpec("browser.prev_page", "Previous page", "The previous page (keyset)", "prev_page", "pageup,left_square_bracket", "browser", "pgup", show=False),
    ActionSpec("browser.first_page", "First page", "The first rows in order", "first_page", "home", "browser", show=False),
    ActionSpec("browser.last_page", "Last page", "The last rows in order", "last_page", "end", "browser", show=False),
    ActionSpec("browser.insert", "Insert", "Insert a row (the SQL is shown before it runs)", "insert_row", "n", "browser", writes=True),
    ActionSpec("browser.edit", "Edit", "Edit the highlighted row (the SQL is shown before it runs)", "edit_row", "u", "browser", writes=True),
    ActionSpec("browser.delete", "Delete", "Delete the highlighted row (the SQL is shown before it runs)", "delete_row", "d", "browser", writes=True),
)  # fmt: skip
ACTIONS = (*ACTIONS, *BROWSER_ACTIONS)


CONSOLE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("sql.run", "Run", "Run the editor's statements (EXPLAIN first: full scans ask)", "run", "f5,ctrl+enter", "sql", "f5"),
    ActionSpec("sql.explain", "Plan", "EXPLAIN QUERY PLAN of the editor's statements", "explain", "f2", "sql"),
    ActionSpec("sql.index_check", "Indexes", "The seed's index check: the indexes in sqlite_master", "index_check", "f3", "sql"),
    ActionSpec("sql.history", "History", "Earlier statements (persisted, no secrets)", "history", "f4", "sql"),
    ActionSpec("sql.export", "Export", "Export the results to CSV or JSON", "export", "f8", "sql"),
    ActionSpec("sql.next_page", "Next page", "The next page of results", "next_page", "ctrl+pagedown", "sql", "^pgdn", show=False),
    ActionSpec("sql.previous_page", "Previous page", "The previous page of results", "previous_page", "ctrl+pageup", "sql", "^pgup", show=False),
    ActionSpec("tokens.create", "Create", "Create a database or group token (shown once)", "create", "n", "tokens", writes=True),
    ActionSpec("tokens.rotate", "Rotate", "Invalidate ALL tokens of a database/group (typed confirmation)", "rotate", "r", "tokens", writes=True),
    ActionSpec("tokens.rotate_group", "Rotate group", "Invalidate ALL tokens of the database's group (typed confirmation)", "rotate_group", "g", "tokens", writes=True, show=False),
    ActionSpec("tokens.api_create", "API token", "Create a Platform API token, org-wide or group-scoped (shown once)", "api_create", "a", "tokens", writes=True),
    ActionSpec("tokens.api_revoke", "Revoke API", "Revoke the highlighted Platform API token (typed confirmation)", "api_revoke", "v", "tokens", writes=True, show=False),
    ActionSpec("tokens.decode", "Decode", "Decode a pasted JWT's claims (not verified)", "decode", "d", "tokens"),
    ActionSpec("tokens.reload", "Reload", "Read the token ledger again", "reload", "l", "tokens", show=False),
    ActionSpec("backups.run_sql", "Backup .sql", "Verified .sql backup of the selected database", "backup('sql')", "s", "backups"),
    ActionSpec("backups.run_db", "Backup .db", "Verified .db backup of the selected database", "backup('db')", "d", "backups"),
    ActionSpec("backups.cancel", "Cancel", "Cancel the running backup", "cancel_backup", "escape", "backups", "esc"),
    ActionSpec("backups.reload", "Reload", "List the backups folder again", "reload", "l", "backups", show=False),
    ActionSpec("backups.prune", "Prune", "Delete backups past [turso.backup] retention_days (typed confirmation)", "prune", "p", "backups"),
)  # fmt: skip
ACTIONS = (*ACTIONS, *CONSOLE_ACTIONS)


REPLICA_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("replica.sync", "Sync now", "Sync the local embedded replica from the remote (child process, timeout)", "sync", "s", "replica"),
    ActionSpec("replica.reset", "Reset", "Delete the replica file and sync it again (typed confirmation)", "reset", "r", "replica"),
    ActionSpec("replica.browse", "Browse offline", "Browse a table of the replica file read-only, no server needed", "browse", "o", "replica"),
    ActionSpec("replica.cancel", "Stop sync", "Stop the running sync (its child process is killed)", "cancel_sync", "escape", "replica", "esc", show=False),
    ActionSpec("replica.next_page", "Next page", "The next page of the browsed table (keyset)", "page('next')", "pagedown,right_square_bracket", "replica", "pgdn", show=False),
    ActionSpec("replica.prev_page", "Previous page", "The previous page of the browsed table (keyset)", "page('prev')", "pageup,left_square_bracket", "replica", "pgup", show=False),
)  # fmt: skip
ACTIONS = (*ACTIONS, *REPLICA_ACTIONS)


ORG_ADMIN_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("inspect.configure", "Configure", "Change the selected database's configuration (typed confirmation)", "configure", "c", "inspect", writes=True),
    ActionSpec("inspect.reload", "Reload", "Fetch the configuration, instances and top queries again", "reload", "l", "inspect"),
    ActionSpec("audit.next_page", "Next page", "The next (older) page of the audit log", "next_page", "pagedown,right_square_bracket", "audit", "]"),
    ActionSpec("audit.prev_page", "Previous page", "The previous (newer) page of the audit log", "prev_page", "pageup,left_square_bracket", "audit", "["),
    ActionSpec("audit.filter", "Filter", "Filter the page by event type or author", "filter", "slash", "audit", "/"),
    ActionSpec("audit.reload", "Reload", "Fetch the page again", "reload", "l", "audit", show=False),
)  # fmt: skip
ACTIONS = (*ACTIONS, *ORG_ADMIN_ACTIONS)

FLEET_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("databases.filter", "Filter", "Filter as you type: name, group or location (group:x loc:y name:z -word)", "filter", "slash", "databases", "/", show=False),
    ActionSpec("databases.sort", "Sort", "Sort by name, size, rows read, rows written or usage (cycles)", "sort", "s", "databases", show=False),
    ActionSpec("databases.top", "Top N", "Only the top 10, 20, 50 or 100 by usage or the sort (cycles)", "top", "t", "databases", show=False),
    ActionSpec("databases.mark", "Select", "Select or unselect the highlighted database for a bulk action", "mark", "space", "databases", show=False),
    ActionSpec("databases.mark_all", "Select all", "Select every database listed (as filtered); again to unselect them", "mark_all", "asterisk", "databases", "*", show=False),
    ActionSpec("databases.bulk", "Bulk action", "Back up, mint tokens, rotate group tokens or delete the selection (type the count)", "bulk", "A", "databases", show=False),
    ActionSpec("databases.cancel_bulk", "Cancel bulk", "Cancel the bulk action (in-flight items finish); else clear the selection", "cancel_bulk", "escape", "databases", "esc", show=False),
    ActionSpec("usage.filter", "Filter", "Filter the per-database table: name, group or location", "filter", "slash", "usage", "/", show=False),
    ActionSpec("usage.sort", "Sort", "Sort the per-database table by name, size, rows read, rows written or usage", "sort", "s", "usage", show=False),
    ActionSpec("usage.top", "Top N", "Only the top 10, 20, 50 or 100 databases by usage (cycles)", "top", "t", "usage", show=False),
)  # fmt: skip
ACTIONS = (*ACTIONS, *FLEET_ACTIONS)

_unknown = sorted({spec.scope for spec in ACTIONS} - TAB_IDS - {"app"})
if _unknown:
    raise ValueError(f"actions for scopes that are no tab: {', '.join(_unknown)} (tabs.TABS)")


def actions_for(scope: Scope) -> list[ActionSpec]:
    return [spec for spec in ACTIONS if spec.scope == scope]


def bindings_for(scope: Scope) -> list[Binding]:
    return [
        Binding(
            spec.key,
            spec.action,
            spec.title,
            show=spec.show,
            key_display=spec.key_display,
            tooltip=spec.help,
            id=spec.id,
        )
        for spec in actions_for(scope)
    ]

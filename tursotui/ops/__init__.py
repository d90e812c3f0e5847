"""Operations behind the console and the scriptable CLI: backups, import, tokens, restore.

Never imports Textual: the console and ``tursotui <command>`` share these functions. Each module is
importable on its own; heavy work (SQLite loads, integrity checks) runs in worker threads and every
long operation takes a ``progress`` callback and is cancellable with asyncio cancellation.
"""

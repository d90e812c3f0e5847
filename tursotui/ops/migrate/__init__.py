"""Migrations across the fleet (issue 16), headless: ``files.py`` (the numbered SQL files and their
checksums), ``ledger.py`` (``_tursotui_migrations`` and a database's status against the folder), ``apply.py``
(one database: its pending migrations in one transaction), ``fleet.py`` (targets, one token per group, the
bounded runner), ``run.py`` (status and apply across the targets), ``schema.py`` (normalised DDL and its
fingerprint), ``drift.py`` (the fleet grouped by schema), ``canary.py`` (branch, apply, verify, delete)."""

"""libSQL over Hrana HTTP, and plain local database files. Never imports textual."""

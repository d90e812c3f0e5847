"""The SQL console's logic without Textual: statements, scan detection, history and export."""

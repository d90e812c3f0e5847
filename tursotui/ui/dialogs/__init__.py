"""Modal dialogs: each asks one question and returns its answer."""

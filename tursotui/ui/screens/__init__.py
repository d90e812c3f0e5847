"""Screens of the console, one per file, each with its ``.tcss`` beside it."""

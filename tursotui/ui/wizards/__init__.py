"""Multi-step flows (setup, import, restore), run with push_screen_wait in a worker."""

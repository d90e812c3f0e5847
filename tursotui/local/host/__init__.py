"""Running the local Turso: in this process, as the console's child, or as `tursotui local serve`."""

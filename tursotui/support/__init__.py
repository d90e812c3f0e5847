"""The foundation every other package stands on: atomic writes, redaction, loopback TLS, names,
human-readable formats and the xSwarm guide's schema. Imports nothing else of tursotui."""

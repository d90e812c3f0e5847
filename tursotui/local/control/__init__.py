"""The local Turso's organization: its state, keys, tokens, recovery points and the rules on them."""

"""The audit log: one append-only row per write, in the same transaction, with who made it and from where."""

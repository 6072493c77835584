"""The unified inbox: one conversation per contact."""

"""Automation: the fixed rules of API.md, their editable templates, and the messages they send."""

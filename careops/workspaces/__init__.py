"""Workspaces: the business, its settings, staff and onboarding."""

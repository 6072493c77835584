"""Integrations: which providers a workspace uses, configured and encrypted."""

"""Alerts: things that need a person's attention (failed deliveries, integration errors, …)."""

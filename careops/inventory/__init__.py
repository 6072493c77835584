"""Inventory: stock items, their ledger, deductions on completed bookings, alerts and forecasts."""

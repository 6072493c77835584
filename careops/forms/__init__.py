"""Forms: templates (from plugins' packs or written by the owner), the submissions sent after a booking,
the customer's public fill by token, reminders and overdue tracking."""

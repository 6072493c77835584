"""The dashboard: what needs attention now, counted with a few aggregate queries."""

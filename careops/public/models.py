"""The public domain's tables: short links for SMS (careops.public.short_links)."""

from careops.public.short_links import ShortLink  # noqa: F401 - imported at start so the table exists

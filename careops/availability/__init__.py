"""Availability: the weekly opening rules and the date overrides that bookings are offered in."""

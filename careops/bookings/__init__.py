"""Bookings: slots, the no-double-booking guarantee, the status machine, manage links, iCalendar."""

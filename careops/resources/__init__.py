"""Resources: what bookings occupy, with a capacity."""

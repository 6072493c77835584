"""What the bookings domain answers to others: a deleted resource leaves past bookings,
the ``unconfirmed_booking`` alert of the alerts sweep, and a contact's recent
bookings on the contact card.

The asking domains (:func:`careops.resources.service.register_holder`,
:func:`careops.alerts.conditions.register_condition`,
:func:`careops.contacts.service.register_card_section`) import nothing of
bookings. The app factory imports this module at start.
"""

import sqlalchemy as sa

from careops.alerts.conditions import register_condition
from careops.bookings.alerting import raise_unconfirmed_bookings, settled_bookings
from careops.bookings.models import BookingResource
from careops.bookings.service import recent_for_contact
from careops.contacts import service as contacts
from careops.extensions import db
from careops.resources import service as resources


def release_resource(resource_id: str) -> None:
    """Past bookings let go of a deleted resource (not committed)."""
    db.session.execute(sa.delete(BookingResource).where(BookingResource.resource_id == resource_id))


resources.register_holder("bookings", release=release_resource)
register_condition(
    "unconfirmed_booking", entity_type="booking", raise_due=raise_unconfirmed_bookings, cleared=settled_bookings
)
contacts.register_card_section("bookings", recent_for_contact)

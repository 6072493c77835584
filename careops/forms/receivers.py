"""Blinker receivers of the forms domain; also decides the ``forms`` step of onboarding
and which form templates a service may name, and lists the forms of a booking and
of a contact (on the contact card).

They run in the event dispatcher's transaction (:func:`careops.events.deliver`)
and must not commit. A second delivery of ``booking_created`` creates nothing:
its receipt and the unique (booking, template) of submissions both hold.
"""

import sqlalchemy as sa

from careops import events
from careops.bookings import schemas as booking_schemas
from careops.contacts import service as contacts
from careops.db import WorkspaceRepository
from careops.extensions import db
from careops.forms import service
from careops.forms.models import FormTemplate
from careops.forms.templates import unknown_template_ids
from careops.services import service as services
from careops.workspaces import onboarding


def on_booking_created(sender, *, workspace_id, booking_id, **_):
    service.send_for_booking(workspace_id, booking_id)


def on_booking_cancelled(sender, *, workspace_id, booking_id, **_):
    service.close_for_cancelled_booking(workspace_id, booking_id)


events.booking_created.connect(on_booking_created)
events.booking_cancelled.connect(on_booking_cancelled)


@onboarding.register_check("forms")
def forms_step(workspace_id: str) -> tuple[bool, str]:
    """Done once the workspace has an active template; says how many are sent after booking."""
    from careops.forms.templates import services_by_template

    active = list(
        db.session.scalars(
            sa.select(FormTemplate.id).where(
                *WorkspaceRepository(workspace_id).criteria(FormTemplate), FormTemplate.is_active.is_(True)
            )
        )
    )
    if not active:
        return False, "Optional: add intake forms sent after booking (import a form pack to start)"
    linked = services_by_template(workspace_id)
    sent = sum(1 for template_id in active if linked.get(template_id))
    return True, f"{len(active)} form template(s), {sent} sent after booking a service"


# A service may send only the workspace's active templates after booking.
services.register_reference("form_template_ids", unknown_template_ids)
# A booking's JSON lists its forms; bookings sits below forms, so forms hands it the reader.
booking_schemas.register_forms_reader(service.forms_by_booking)
# The contact card lists a contact's recent forms; contacts sits below forms too.
contacts.register_card_section("forms", service.contact_forms)

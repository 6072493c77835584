"""Automated messages about a contact: ``welcome_contact``."""

from careops.automation.service import send_rule_message
from careops.contacts import service as contacts
from careops.workspaces.service import get_workspace


def welcome(workspace_id: str, contact_id: str):
    """Greet a contact who wrote through the public contact form (once per contact)."""
    contact = contacts.get(workspace_id, contact_id)
    values = {"contact_name": contact.name, "business": get_workspace(workspace_id).name}
    return send_rule_message(
        workspace_id, "welcome_contact", contact.id, values, automation_key=f"welcome_contact:{contact.id}"
    )

"""Automated messages about a contact: ``welcome_contact``."""

from careops.automation.service import send_rule_message
from careops.contacts.models import Contact
from careops.db import WorkspaceRepository
from careops.extensions import db
from careops.workspaces.models import Workspace


def welcome(workspace_id: str, contact_id: str):
    """Greet a contact who wrote through the public contact form (once per contact)."""
    contact = WorkspaceRepository(workspace_id).get(Contact, contact_id)
    values = {"contact_name": contact.name, "business": db.session.get(Workspace, workspace_id).name}
    return send_rule_message(
        workspace_id, "welcome_contact", contact.id, values, automation_key=f"welcome_contact:{contact.id}"
    )

"""What the inbox answers to others: the ``missed_message`` alert of the alerts sweep,
the queueing of system emails (staff invitations), and a contact's conversation
(opened with the contact, linked from the contact card).

The asking sides (:func:`careops.alerts.conditions.register_condition`,
:func:`careops.messaging.system.queue_system_emails_with`,
:func:`careops.contacts.service.register_contact_opener` and
:func:`~careops.contacts.service.register_card_section`) import nothing of
the inbox. The app factory imports this module at start.
"""

from careops.alerts.conditions import register_condition
from careops.contacts import service as contacts
from careops.inbox.alerting import answered_conversations, raise_missed_messages
from careops.inbox.sending import send_system_message
from careops.inbox.service import conversation_id_of, open_conversation
from careops.messaging.system import queue_system_emails_with

queue_system_emails_with(send_system_message)

register_condition(
    "missed_message", entity_type="conversation", raise_due=raise_missed_messages, cleared=answered_conversations
)
# One contact, one conversation: opened in the transaction that creates the contact.
contacts.register_contact_opener("conversation", open_conversation)
contacts.register_card_section("conversation_id", conversation_id_of)

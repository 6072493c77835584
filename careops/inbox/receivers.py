"""What the inbox answers to others: the ``missed_message`` alert of the alerts sweep,
and the queueing of system emails (staff invitations).

The asking sides (:func:`careops.alerts.conditions.register_condition`,
:func:`careops.messaging.system.queue_system_emails_with`) import nothing of
the inbox. The app factory imports this module at start.
"""

from careops.alerts.conditions import register_condition
from careops.inbox.alerting import answered_conversations, raise_missed_messages
from careops.inbox.sending import send_system_message
from careops.messaging.system import queue_system_emails_with

queue_system_emails_with(send_system_message)

register_condition(
    "missed_message", entity_type="conversation", raise_due=raise_missed_messages, cleared=answered_conversations
)

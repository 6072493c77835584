"""Outbox receivers: every event of a webhook type becomes deliveries (careops.webhooks.delivery.fan_out).

They run in the event dispatcher's transaction and must not commit. The
dispatcher's receipt (event id, receiver) runs each at most once per event,
and the deliveries' unique (endpoint, event) key keeps a racing second
dispatch from adding rows.
"""

from careops import events
from careops.webhooks.delivery import fan_out
from careops.webhooks.payloads import EVENT_TYPES


def _receiver(name: str):
    # ``event`` (the typed dataclass) is taken out: the body is built from the stored JSON payload.
    def receive(sender, *, event_id, workspace_id, occurred_at, event=None, **payload):
        fan_out(workspace_id, event_id, name, occurred_at, payload)

    # Each its own name: the receipt key is the receiver's qualified name.
    receive.__name__ = receive.__qualname__ = f"on_{name}"
    return receive


#: Module-level references: blinker holds receivers weakly.
RECEIVERS = {name: _receiver(name) for name in EVENT_TYPES if name in events.EVENTS}
for _name, _fn in RECEIVERS.items():
    events.EVENTS[_name].connect(_fn)

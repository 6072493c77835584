"""Every pluggy hook CareOps asks its plugins, documented.

Hooks *contribute things*: the core asks, every plugin may answer. A plugin is
a module (or object) with functions named like the specs below, decorated with
``careops.hookimpl``, registered under the entry point group ``careops``::

    # setup.cfg of a plugin distribution
    [options.entry_points]
    careops =
        my_plugin = my_plugin

Unless a spec says ``firstresult``, the core receives a list with one answer per
plugin (``None`` answers are dropped) and combines them.
"""

import pluggy

hookspec = pluggy.HookspecMarker("careops")
hookimpl = pluggy.HookimplMarker("careops")


@hookspec
def careops_communication_providers():
    """Communication providers this plugin offers.

    Return a list of :class:`careops.messaging.CommunicationProvider`
    subclasses. Each has a unique ``name`` (``"console"``, ``"smtp"``…), the
    ``channels`` it serves (``"email"``, ``"sms"``) and a configuration schema.
    A workspace chooses which to use, in which order, through ``/integrations``.
    """


@hookspec
def careops_form_packs():
    """Ready-made form templates a workspace can import.

    Return a list of dicts ``{"key", "name", "description", "templates": [...]}``
    where each template is ``{"name", "description", "fields": [...],
    "due_after_hours"}`` with fields as in API.md. Pack keys are unique across
    plugins.
    """


@hookspec
def careops_inventory_forecasters():
    """Inventory forecasters this plugin offers.

    Return a list of objects with a ``name`` and a method
    ``forecast(item, movements, upcoming_usage, days) -> dict`` giving
    ``expected_use``, ``days_until_empty`` and ``reorder_suggested``
    (:mod:`careops.inventory.forecasting` describes each argument). The
    workspace's configured forecaster (default: the core's ``calendar_aware``) is used.
    """


@hookspec
def careops_integrations():
    """Integrations (other than communication providers) this plugin offers.

    Return a list of dicts ``{"key", "kind", "provider", "config_schema",
    "test": callable(workspace_id, config) -> (ok, detail)}``; ``kind`` is one of
    ``calendar``, ``webhook``, ``storage``. They are listed by ``/integrations``.
    """


@hookspec
def careops_blueprints(api):
    """Extra HTTP endpoints.

    Return a list of flask-smorest ``Blueprint`` objects; each is registered on
    the app's ``api`` (so it appears in the OpenAPI document) under
    ``/api/v1/plugins/<blueprint name>``. ``api`` is the flask-smorest ``Api``.
    """


@hookspec
def careops_periodic_tasks():
    """Periodic work the task consumer runs.

    Return a list of dicts ``{"name": str, "schedule": huey.crontab(...),
    "run": callable()}``. ``run`` executes in an app context under a lock named
    after the task, so two consumers never run it at the same time; it must be
    idempotent.
    """


@hookspec
def careops_cli_commands(cli):
    """Extra ``flask careops …`` commands.

    ``cli`` is the ``careops`` click group; add commands with
    ``@cli.command()``. Return nothing.
    """


@hookspec
def careops_startup(app):
    """Called once at the end of ``create_app``; ``app`` is the configured Flask app.

    Use it to validate the plugin's own configuration (raise to refuse to
    start) or to connect blinker receivers. Return nothing.
    """


@hookspec
def careops_event_receivers():
    """Receivers of domain events (``careops.events``): how a plugin reacts to what happens.

    Return a list of ``(event_name, receiver)`` pairs, ``event_name`` one of
    :data:`careops.events.EVENTS` (``"booking_created"``, ``"message_received"``…).
    ``receiver(sender, **kwargs)`` (a blinker receiver: ``sender`` is the
    workspace id) is called in the task consumer after the transaction that
    emitted the event committed, with the keyword arguments ``event_id``,
    ``workspace_id``, ``occurred_at``, ``event`` (the payload as its typed
    dataclass from :mod:`careops.event_types`) and the payload's fields (listed
    in ``docs/events.md``; accept ``**kwargs`` for keys added later). It runs at most once per event — its work is committed
    together with a receipt keyed by the receiver's module and name — so it
    must not commit itself; raising rolls its work back and the event is
    delivered again later. Must be a module-level function (not a lambda).
    """

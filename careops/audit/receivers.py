"""Starts recording: the session listeners of :mod:`careops.audit.recorder` and the task hooks naming the actor."""

from careops.audit import recorder  # noqa: F401 - importing registers the session listeners
from careops.audit.context import install_task_hooks

install_task_hooks()

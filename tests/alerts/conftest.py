from tests.messaging.fixtures import active, console, providers  # noqa: F401 - shared fixtures

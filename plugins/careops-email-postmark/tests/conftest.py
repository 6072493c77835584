"""The core's fixtures (app, clients, owners, factories) for the Postmark plugin's tests, and a fake Postmark."""

import pytest
from fake_postmark import FakePostmark

from tests.conftest import *  # noqa: F403 - app, client, owner, register, make_staff…
from tests.conftest import _schema  # noqa: F401 - a star import leaves out underscored names
from tests.messaging.fixtures import active, console, providers  # noqa: F401 - shared fixtures


@pytest.fixture
def fake_postmark():
    """A fake Postmark on a free loopback port, stopped after the test."""
    server = FakePostmark().start()
    yield server
    server.stop()

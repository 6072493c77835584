"""The core's fixtures (app, clients, owners, factories) for the Twilio plugin's tests, and a fake Twilio."""

import pytest
from fake_twilio import FakeTwilio

from tests.conftest import *  # noqa: F403 - app, client, owner, register, make_staff…
from tests.conftest import _schema  # noqa: F401 - a star import leaves out underscored names
from tests.messaging.fixtures import active, console, providers  # noqa: F401 - shared fixtures


@pytest.fixture
def fake_twilio():
    """A fake Twilio on a free loopback port, stopped after the test."""
    server = FakeTwilio().start()
    yield server
    server.stop()

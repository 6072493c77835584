"""Fixtures of the SMTP plugin's tests: the core's fixtures, real mail servers, a bookable clinic using ``smtp``.

The core's fixtures (``app``, ``client``, ``owner``…) come from ``tests/conftest.py``
of the repository; the plugin must be installed (``pip install -e plugins/careops-email-smtp``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mail_servers import DOVECOT, Dovecot, SilentServer, SmtpServer, throwaway_certificate
from smtp_helpers import SMTP_PASSWORD, SMTP_USER, Clinic

from tests.conftest import *
from tests.conftest import _schema  # noqa: F401 - "import *" leaves out underscored names


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return throwaway_certificate(str(tmp_path_factory.mktemp("certificate")))


@pytest.fixture
def start_smtp(certificate):
    """``start_smtp(security="none"|"starttls"|"tls", credentials=None)`` → a running :class:`SmtpServer`."""
    started = []

    def _start(security: str = "none", credentials=None) -> SmtpServer:
        started.append(SmtpServer(security=security, certificate=certificate, credentials=credentials).start())
        return started[-1]

    yield _start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp):
    """A relay as most hosts run it: STARTTLS required, then AUTH."""
    return start_smtp("starttls", credentials=(SMTP_USER, SMTP_PASSWORD))


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot():
    if not os.path.exists(DOVECOT):
        pytest.skip(f"{DOVECOT} is missing: install Debian's dovecot-imapd (apt-get install -y dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot):
    """A new, empty mailbox on the IMAP server."""
    return dovecot.account()


@pytest.fixture
def clinic(client, owner, smtp_server, certificate):
    return Clinic(client, owner, smtp_server, certificate)

"""The core's fixtures (an app on a fresh database, owners, clients), as any CareOps plugin's tests use them."""

from tests.conftest import *  # noqa: F401,F403 - app, client, owner, register, make_app…
from tests.conftest import _schema  # noqa: F401 - the session's schema (skipped by the star import)
from tests.forms.conftest import clinic  # noqa: F401 - an active workspace whose service sends a form

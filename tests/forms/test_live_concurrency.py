"""One form, filled from several places at once against several gunicorn workers: stored once, the others 409.

Runs on the test session's database (SQLite, or PostgreSQL with ``CAREOPS_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import pytest

from tests.bookings.test_live_concurrency import fire
from tests.forms.conftest import VALID_ANSWERS, form_tokens, submissions
from tests.live import start_server  # noqa: F401 - fixture

pytestmark = pytest.mark.live


def test_concurrent_submits_store_one_answer(clinic, client, start_server):
    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    base = start_server(workers=2)
    names = [f"Customer {i}" for i in range(8)]
    results = fire(
        len(names),
        lambda i, http: http.post(
            f"{base}/api/v1/public/forms/{token}", timeout=120, json={"data": {**VALID_ANSWERS, "full_name": names[i]}}
        ),
    )
    statuses = sorted(r.status_code if hasattr(r, "status_code") else repr(r) for r in results)
    assert statuses == [201] + [409] * (len(names) - 1), statuses
    [winner] = [names[i] for i, r in enumerate(results) if r.status_code == 201]
    [row] = submissions(clinic.owner.workspace_id)
    assert row.status == "completed" and row.data["full_name"] == winner

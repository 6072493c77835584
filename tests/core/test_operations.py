"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import re

from tests.conftest import assert_error


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_touches_no_dependency(make_app):
    broken = make_app(
        SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/careops.db", CAREOPS_TASK_QUEUE="redis://127.0.0.1:1/0"
    )
    assert broken.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_readyz_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "task_queue": "ok"}}


def test_readyz_checks_a_real_queue(make_app, tmp_path):
    made = make_app(CAREOPS_TASK_QUEUE=f"sqlite:///{tmp_path / 'queue.db'}")
    assert made.test_client().get("/readyz").status_code == 200


def test_readyz_names_the_database_when_it_is_down(make_app):
    broken = make_app(SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/careops.db")
    payload = assert_error(broken.test_client().get("/readyz"), 503, "SERVICE_UNAVAILABLE")
    assert "database" in payload["detail"] and "task_queue" not in payload["detail"]
    assert payload["failing"] == ["database"]
    assert payload["checks"]["task_queue"] == "ok"


def test_readyz_names_the_task_queue_when_it_is_down(make_app):
    broken = make_app(CAREOPS_TASK_QUEUE="redis://127.0.0.1:1/0")
    payload = assert_error(broken.test_client().get("/readyz"), 503, "SERVICE_UNAVAILABLE")
    assert "task_queue" in payload["detail"] and "database" not in payload["detail"]
    assert payload["failing"] == ["task_queue"]


def sample(text: str, name: str, **labels) -> float:
    """The value of one Prometheus sample, or 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_per_endpoint_and_status(client):
    before = client.get("/metrics").get_data(as_text=True)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/v1/auth/me")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert (
        sample(text, "careops_http_requests_total", endpoint="/healthz", method="GET", status="200")
        == sample(before, "careops_http_requests_total", endpoint="/healthz", method="GET", status="200") + 2
    )
    assert sample(text, "careops_http_requests_total", endpoint="/api/v1/auth/me", method="GET", status="401") >= 1
    assert sample(text, "careops_http_request_seconds_count", endpoint="/healthz", method="GET") >= 2
    assert "careops_tasks_total" in text and "careops_bookings_created_total" in text


def test_unmatched_paths_share_one_label(client):
    client.get("/random/path/abc")
    client.get("/random/path/def")
    text = client.get("/metrics").get_data(as_text=True)
    assert "/random/path" not in text
    assert sample(text, "careops_http_requests_total", endpoint="unmatched", method="GET", status="404") >= 2

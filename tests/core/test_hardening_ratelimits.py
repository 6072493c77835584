"""Rate limits hold across gunicorn workers without Redis, and Retry-After is sent only with 429."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import requests

from careops.ratelimit_storage import SQLiteStorage
from tests.conftest import assert_error
from tests.live import LiveServer, server_env


def _hit(uri: str, times: int, results) -> None:
    storage = SQLiteStorage(uri)
    results.extend([storage.incr("LIMITER/shared", 60) for _ in range(times)])


def test_the_sqlite_storage_counts_across_processes(tmp_path):
    uri = f"careops+sqlite:///{tmp_path / 'limits.db'}"
    with multiprocessing.Manager() as manager:
        results = manager.list()
        processes = [multiprocessing.Process(target=_hit, args=(uri, 25, results)) for _ in range(4)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        counts = sorted(results)
    assert counts == list(range(1, 101))  # every increment seen once, none lost
    storage = SQLiteStorage(uri)
    assert storage.get("LIMITER/shared") == 100 and storage.get("LIMITER/other") == 0
    assert time.time() < storage.get_expiry("LIMITER/shared") <= time.time() + 60
    storage.clear("LIMITER/shared")
    assert storage.get("LIMITER/shared") == 0 and storage.check()


def test_a_counter_starts_again_when_its_window_ends(tmp_path):
    storage = SQLiteStorage(f"careops+sqlite:///{tmp_path / 'limits.db'}")
    assert storage.incr("k", 1) == 1 and storage.incr("k", 1) == 2
    time.sleep(1.1)
    assert storage.get("k") == 0 and storage.incr("k", 1) == 1
    assert storage.reset() == 1


def test_a_relative_path_is_refused():
    with pytest.raises(ValueError, match="absolute path"):
        SQLiteStorage("careops+sqlite://relative.db")


@pytest.fixture
def limited_server(app, app_config, tmp_path):
    env = server_env(
        app_config,
        CAREOPS_RATELIMIT_LOGIN="10/minute",
        CAREOPS_RATELIMIT_STORAGE_URI=f"careops+sqlite:///{tmp_path / 'limits.db'}",
    )
    env.pop("CAREOPS_REDIS_URL", None)  # the embedded default: no Redis
    server = LiveServer(env, workers=3, log_path=tmp_path / "gunicorn.log")
    yield server.start(timeout=120)  # several workers booting on a busy machine take a while
    server.stop()


@pytest.mark.live
def test_workers_share_the_login_limit_without_redis(limited_server):
    base = limited_server
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    statuses, retry_after = [], []
    for _ in range(14):
        # A new connection each time: gunicorn hands them to different workers.
        response = requests.post(f"{base}/api/v1/auth/login", json=body, headers={"Connection": "close"})
        statuses.append(response.status_code)
        retry_after.append(response.headers.get("Retry-After"))
    assert statuses == [401] * 10 + [429] * 4
    assert retry_after[:10] == [None] * 10 and all(0 < int(value) <= 60 for value in retry_after[10:])


class TestRetryAfter:
    @pytest.fixture
    def config_overrides(self):
        return {"CAREOPS_RATELIMIT_ENABLED": True, "CAREOPS_RATELIMIT_LOGIN": "2/minute"}

    def test_only_429_carries_it(self, client):
        body = {"email": "nobody@example.com", "password": "wrong-password"}
        answers = [client.post("/api/v1/auth/login", json=body) for _ in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 429]
        assert "Retry-After" not in answers[0].headers and "Retry-After" not in answers[1].headers
        assert_error(answers[2], 429, "RATE_LIMITED")
        assert 0 < int(answers[2].headers["Retry-After"]) <= 60

    def test_public_answers_do_not_carry_it(self, client, owner):
        slug = owner.get("/api/v1/workspace").get_json()["slug"]
        response = client.get(f"/api/v1/public/{slug}")
        assert response.status_code in (200, 404, 409)
        assert "Retry-After" not in response.headers


def _limited_app(**limiter_options):
    """A bare Flask app with its own Limiter: one undecorated route and one limited on its view."""
    from flask import Flask
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from careops.http import limits_checked_by_their_views

    app = Flask("limits")
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", **limiter_options)

    def open_route():
        return "ok"

    def limited_route():
        return "ok"

    app.add_url_rule("/open", "open", open_route)
    app.add_url_rule("/limited", "limited", limiter.limit("2/minute")(limited_route))
    limits_checked_by_their_views(app, limiter)
    return app


def test_limits_declared_on_views_still_hold_without_the_per_request_check():
    client = _limited_app().test_client()
    assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get("/open").status_code for _ in range(5)} == {200}


def test_an_app_wide_limit_keeps_the_per_request_check():
    # a default limit is only checked by flask-limiter's before_request hook: it must stay
    client = _limited_app(default_limits=["3/minute"]).test_client()
    assert [client.get("/open").status_code for _ in range(4)] == [200, 200, 200, 429]

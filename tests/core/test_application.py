"""The app's Flask class: no cookie session, and the async check answered once per function."""

from __future__ import annotations

import flask
import pytest

from careops.application import CareOpsFlask


def test_no_cookie_session_is_read_or_written(app):
    @app.get("/_session_probe")
    def probe():
        assert dict(flask.session) == {}
        with pytest.raises(RuntimeError):
            flask.session["user"] = "someone"
        return "ok"

    response = app.test_client().get("/_session_probe", headers={"Cookie": "session=eyJ1c2VyIjoieCJ9.forged"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_the_async_check_runs_once_per_function(monkeypatch):
    import flask.app as flask_app

    checked = []
    real = flask_app.iscoroutinefunction
    monkeypatch.setattr(flask_app, "iscoroutinefunction", lambda f: checked.append(f) or real(f))
    app = CareOpsFlask("probe")

    def hook():
        return None

    assert app.ensure_sync(hook) is hook and app.ensure_sync(hook) is hook
    assert checked == [hook]


def test_async_functions_still_go_through_flask():
    app = CareOpsFlask("probe")

    async def view():
        return "ok"

    # Flask's own answer: without asgiref (flask[async]) it refuses async views outright.
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(view)


def test_kept_answers_are_bounded():
    app = CareOpsFlask("probe")
    app.MAX_KEPT = 3
    functions = [lambda: None for _ in range(10)]
    for f in functions:
        assert app.ensure_sync(f) is f
    assert len(app._sync_of) <= 3

"""The role and permission guards (``@blp.protected``, ``authorize``)."""

from __future__ import annotations

import pytest

from careops.security import PERMISSIONS, authorize, require_owner, require_permission
from tests.conftest import assert_error


@pytest.fixture
def guarded(app):
    """Routes behind each guard, added before the app serves its first request."""

    @app.get("/guarded/owner")
    @require_owner
    def owner_only():
        return {"ok": True}

    for permission in PERMISSIONS:
        app.add_url_rule(
            f"/guarded/{permission}", f"guarded_{permission}", require_permission(permission)(lambda: {"ok": True})
        )

    @app.get("/guarded/any")
    def any_user():
        return {"user": authorize().id}

    return app


def test_owner_holds_every_permission(guarded, owner):
    for path in ["owner", "any", *PERMISSIONS]:
        assert owner.get(f"/guarded/{path}").status_code == 200, path


def test_staff_holds_only_what_was_granted(guarded, owner, make_staff):
    staff = make_staff(owner, inbox=True, forms=True)
    assert staff.get("/guarded/any").get_json() == {"user": staff.user["id"]}
    assert staff.get("/guarded/inbox").status_code == 200 and staff.get("/guarded/forms").status_code == 200
    for path in ("bookings", "inventory"):
        payload = assert_error(staff.get(f"/guarded/{path}"), 403, "FORBIDDEN")
        assert path in payload["detail"]
    assert_error(staff.get("/guarded/owner"), 403, "FORBIDDEN")


def test_granting_a_permission_takes_effect_at_once(guarded, owner, make_staff):
    staff = make_staff(owner)
    assert_error(staff.get("/guarded/bookings"), 403)
    owner.patch(f"/api/v1/staff/{staff.user['id']}", json={"permissions": {"bookings": True}})
    assert staff.get("/guarded/bookings").status_code == 200


def test_guards_need_a_token(guarded, client):
    for path in ["owner", "any", *PERMISSIONS]:
        assert_error(client.get(f"/guarded/{path}"), 401, "UNAUTHORIZED")


def test_unknown_permission_is_a_programming_error(app):
    with pytest.raises(ValueError):
        require_permission("admin")

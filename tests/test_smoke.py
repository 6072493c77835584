from tests.conftest import assert_error


def test_register_me_and_workspace(owner, client):
    me = owner.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.get_json()["role"] == "owner"
    ws = owner.get("/api/v1/workspace").get_json()
    assert ws["status"] == "setup"


def test_unknown_path(client):
    assert_error(client.get("/nope"), 404, "NOT_FOUND")

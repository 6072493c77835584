"""Who the ``inventory_alert`` message goes to: the contact email, else the owner's login email."""

from careops.automation.inventory_messages import recipient


def test_the_alert_goes_to_the_owner_until_a_contact_email_is_set(app, register, make_staff):
    other_owner = register()  # an older owner of another workspace is never the recipient
    owner = register()
    make_staff(owner)  # a staff member too, who joins later
    with app.app_context():
        assert recipient(owner.workspace_id) == owner.user["email"]
        assert recipient(other_owner.workspace_id) == other_owner.user["email"]
    assert owner.patch("/api/v1/workspace", json={"contact_email": "desk@clinic.example"}).status_code == 200
    with app.app_context():
        assert recipient(owner.workspace_id) == "desk@clinic.example"

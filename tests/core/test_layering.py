"""The import contracts of setup.cfg hold, and every inverted dependency is wired.

Where a lower domain needs an answer only a higher one has, the lower one keeps
a registry and the higher one registers from its ``receivers.py`` (imported by
the app factory). A registration that goes missing would fail late and far away
(a KeyError in onboarding, an unvalidated service, a silent alert sweep); these
tests name it at once.
"""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_onboarding_step_is_decided(app):
    from careops.workspaces import onboarding

    assert set(onboarding._CHECKS) == set(onboarding.STEPS)
    assert onboarding._CHECKS["communication"].__module__ == "careops.integrations.receivers"
    assert onboarding._CHECKS["services"].__module__ == "careops.services.receivers"
    assert onboarding._CHECKS["availability"].__module__ == "careops.availability.receivers"


def test_services_and_bookings_hold_resources(app):
    from careops.resources import service as resources

    assert set(resources._HOLDERS) == {"services", "bookings"}
    active_users, _ = resources._HOLDERS["services"]
    assert active_users is not None  # an active service forbids removing its resource


def test_a_service_names_only_known_form_templates_and_items(app):
    from careops.services import service

    assert set(service._REFERENCES) == {"form_template_ids", "inventory_usage"}


def test_the_alert_sweep_knows_both_time_based_kinds(app):
    from careops.alerts import conditions

    assert set(conditions._CONDITIONS) == {"missed_message", "unconfirmed_booking"}
    assert conditions._CONDITIONS["missed_message"].entity_type == "conversation"
    assert conditions._CONDITIONS["unconfirmed_booking"].entity_type == "booking"


def test_a_booking_lists_its_forms_through_the_reader_forms_registers(app):
    from careops.bookings import schemas
    from careops.forms import service as forms

    assert schemas._forms_reader is forms.forms_by_booking


def test_without_a_forms_reader_a_booking_lists_no_forms(monkeypatch):
    from careops.bookings import schemas

    monkeypatch.setattr(schemas, "_forms_reader", None)
    assert schemas.forms_of("w1", ["b1", "b2"]) == {"b1": [], "b2": []}


def test_staff_reply_pause_and_system_emails_are_wired(app):
    from careops.inbox import sending
    from careops.inbox import service as inbox
    from careops.messaging import system

    assert inbox._reply_pauses_automation.__module__ == "careops.automation.receivers"
    assert system._queue is sending.send_system_message


def test_a_system_email_without_an_inbox_is_logged_not_raised(app, monkeypatch, caplog):
    from careops.messaging import system

    monkeypatch.setattr(system, "_queue", None)
    with app.app_context():
        assert system.send_system_email("w1", to="a@example.com", subject="s", text="t", purpose="p:1") is False
    assert "could not be queued" in caplog.text


@pytest.mark.skipif(
    shutil.which("lint-imports", path=str(pathlib.Path(sys.executable).parent)) is None,
    reason="import-linter is not installed (pip install -e '.[dev]')",
)
def test_import_contracts_hold():
    """`make lint` runs the same check; here so that `make test` fails on a broken contract too."""
    lint = pathlib.Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_app_maps_a_model_loaded_before_the_domain_its_relationship_names(tmp_path):
    """A booking and a conversation name ``"Contact"``: loaded before the app (as a test module or a
    script does), they must not make the app factory fail when a module builds a statement as it loads."""
    script = "import careops.bookings.models, careops.inbox.models\nfrom careops import create_app\ncreate_app()\n"
    env = {
        "PATH": "/usr/bin:/bin",
        "CAREOPS_SECRET_KEY": "x" * 40,
        "CAREOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "CAREOPS_TASK_QUEUE": f"sqlite:///{tmp_path / 'tasks.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]

"""row-level security: the tenant policy on every workspace table (PostgreSQL)

The policies are careops/rls.py's: a row is visible and writable when its
workspace_id is the transaction's ``careops.workspace_id`` setting, or when
``careops.unscoped`` is ``on``. SQLite has no row-level security: nothing to do.
A later migration that creates a table with a workspace_id column puts it
under the policy the same way (``rls.enable_statements``); tests/core/test_migrations.py
fails when one is missed.

Revision ID: 5b1d7e2a9c40
Revises: 83a369c5997a
Create Date: 2026-11-29 06:30:00.000000

"""

from alembic import op

from careops import rls

# revision identifiers, used by Alembic.
revision = "5b1d7e2a9c40"
down_revision = "83a369c5997a"
branch_labels = None
depends_on = None

#: The tables with a workspace_id column at this revision (frozen: the models may grow later).
WORKSPACE_TABLES = (
    "alerts",
    "audit_log",
    "automation_rules",
    "availability_overrides",
    "availability_rules",
    "booking_manage_tokens",
    "bookings",
    "contact_forms",
    "contacts",
    "conversations",
    "form_access_tokens",
    "form_submissions",
    "form_templates",
    "integrations",
    "inventory_booking_deductions",
    "inventory_items",
    "inventory_movements",
    "invitations",
    "messages",
    "outbox_events",
    "resources",
    "scheduled_automations",
    "services",
    "short_links",
    "users",
    "webhook_deliveries",
    "webhook_endpoints",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WORKSPACE_TABLES:
        for statement in rls.enable_statements(table):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WORKSPACE_TABLES:
        for statement in rls.disable_statements(table):
            op.execute(statement)

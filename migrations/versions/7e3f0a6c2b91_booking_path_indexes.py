"""booking path indexes: the contacts list in index order

``GET /contacts`` orders a workspace's contacts by ``last_activity_at``: without
an index on (workspace_id, last_activity_at) every page sorted all of the
workspace's contacts first (SQLite: "USE TEMP B-TREE FOR ORDER BY").

Revision ID: 7e3f0a6c2b91
Revises: 5b1d7e2a9c40
Create Date: 2026-11-29 06:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7e3f0a6c2b91"
down_revision = "5b1d7e2a9c40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_workspace_last_activity", ["workspace_id", "last_activity_at"], unique=False)


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_workspace_last_activity")

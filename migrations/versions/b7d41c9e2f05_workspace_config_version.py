"""workspace config version: the token the configuration cache keeps values under

``workspaces.config_version`` is replaced, in the same transaction, by every
change of a workspace's services, resources, hours, overrides or channels
(careops.workspaces.config_cache). Existing workspaces start with the empty
token; their first change gives them a random one.

Revision ID: b7d41c9e2f05
Revises: 9c4d2e7f1a38
Create Date: 2026-11-29 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d41c9e2f05"
down_revision = "9c4d2e7f1a38"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("config_version", sa.String(length=32), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("config_version")

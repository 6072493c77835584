"""inbox order index: the conversations list read in index order

``GET /conversations`` orders by the latest message first, conversations
without a message last, then id. The old (workspace_id, last_message_at) index
could not give that order ("last_message_at IS NULL" came first in ORDER BY):
every page sorted all of the workspace's conversations. The new index holds
the order itself; PostgreSQL needs ``NULLS LAST`` said, SQLite puts NULLs last
in a descending index and refuses the clause.

Revision ID: 9c4d2e7f1a38
Revises: 7e3f0a6c2b91
Create Date: 2026-11-29 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c4d2e7f1a38"
down_revision = "7e3f0a6c2b91"
branch_labels = None
depends_on = None


def upgrade():
    nulls = " NULLS LAST" if op.get_bind().dialect.name == "postgresql" else ""
    op.drop_index("ix_conversations_workspace_last_message", table_name="conversations")
    op.create_index(
        "ix_conversations_workspace_latest",
        "conversations",
        ["workspace_id", sa.text(f"last_message_at DESC{nulls}"), "id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_conversations_workspace_latest", table_name="conversations")
    op.create_index(
        "ix_conversations_workspace_last_message", "conversations", ["workspace_id", "last_message_at"], unique=False
    )

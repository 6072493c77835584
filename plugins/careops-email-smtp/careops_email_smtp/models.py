"""What the IMAP poller has imported: one row per mailbox message (UIDVALIDITY + UID) per integration.

IMAP names a message by its UID within a folder, valid while the folder's
UIDVALIDITY stays the same (a server that rebuilds the folder changes it, and
every UID with it). The row is written in the same transaction as the
message it produced, so a restart — or a second poll of the same UIDs —
never imports a message twice. The table is keyed by integration, not by
workspace: it is never served by the API (the imported message is).

Created by ``create_all`` in tests; the core's Alembic history carries it for
installed systems.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, UTCDateTime, utcnow


class ImportedEmail(IdMixin, Base):
    __tablename__ = "smtp_imported_emails"

    integration_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False
    )
    folder: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    uid: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: The CareOps message it became; None when it was skipped (``outcome`` says why) or stored before.
    message_id: Mapped[str | None] = mapped_column(sa.String(36), sa.ForeignKey("messages.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint(
            "integration_id", "folder", "uidvalidity", "uid", name="uq_smtp_imported_emails_mailbox_uid"
        ),
    )

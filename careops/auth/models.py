"""Users (owner and staff), staff invitations, revoked tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin


class User(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "users"

    # A user belongs to exactly one workspace, so an email identifies one login.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # owner | staff
    permissions: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    #: Read-only: loaded with the user by the token check (one statement for both), never written through.
    workspace = relationship("Workspace", viewonly=True, lazy="raise")

    def has_permission(self, permission: str) -> bool:
        return self.role == "owner" or bool((self.permissions or {}).get(permission))

    @property
    def effective_permissions(self) -> dict:
        from careops.security import PERMISSIONS

        return {p: self.has_permission(p) for p in PERMISSIONS}


class Invitation(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    full_name: Mapped[str | None] = mapped_column(sa.String(120))
    permissions: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    #: sha256 of the single-use token; the token itself is only ever in the email.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[str | None] = mapped_column(sa.String(36), sa.ForeignKey("users.id", ondelete="SET NULL"))


class RevokedToken(Base):
    """A JWT revoked by logout, until it would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)

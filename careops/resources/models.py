"""Resources: what a booking occupies (a practitioner, a room, a chair)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, WorkspaceMixin


class Resource(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "resources"

    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    capacity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

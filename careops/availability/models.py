"""Weekly availability rules and per-date overrides, in the workspace's wall-clock time."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, WorkspaceMixin


class AvailabilityRule(IdMixin, WorkspaceMixin, Base):
    """Open ``start``–``end`` (wall time) every ``weekday`` (0 = Monday) for ``service_ids`` (None: all)."""

    __tablename__ = "availability_rules"

    weekday: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    start: Mapped[time] = mapped_column(sa.Time, nullable=False)
    end: Mapped[time] = mapped_column(sa.Time, nullable=False)
    service_ids: Mapped[list | None] = mapped_column(sa.JSON)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class AvailabilityOverride(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    """On ``date``: closed, or open ``start``–``end`` instead of the weekly rules."""

    __tablename__ = "availability_overrides"

    date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    closed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    start: Mapped[time | None] = mapped_column(sa.Time)
    end: Mapped[time | None] = mapped_column(sa.Time)
    service_ids: Mapped[list | None] = mapped_column(sa.JSON)

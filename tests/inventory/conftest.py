"""Helpers of the inventory tests: items, a bookable service that uses them, ledger and alert reads."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from careops.alerts.models import Alert
from careops.extensions import db
from careops.inbox.models import Message
from careops.inventory.models import BookingDeduction, StockMovement
from tests.bookings.factories import Bookable

URL = "/api/v1/inventory"


def make_item(owner, **fields) -> dict:
    body = {"name": "Gloves", "unit": "pair", "quantity": 10, "low_stock_threshold": 3, **fields}
    response = owner.post(URL, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def adjust(actor, item_id: str, delta, reason: str = "count"):
    return actor.post(f"{URL}/{item_id}/adjust", json={"delta": delta, "reason": reason})


def alerts(app, workspace_id: str, **equals) -> list[Alert]:
    with app.app_context():
        stmt = sa.select(Alert).where(
            Alert.workspace_id == workspace_id, *[getattr(Alert, k) == v for k, v in equals.items()]
        )
        rows = db.session.scalars(stmt.order_by(Alert.created_at)).all()
        db.session.expunge_all()
        return rows


def alert_messages(app, workspace_id: str) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Message)
            .where(Message.workspace_id == workspace_id, Message.automation_key.like("inventory_alert:%"))
            .order_by(Message.created_at)
        ).all()
        db.session.expunge_all()
        return rows


def movement_count(app, item_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(StockMovement).where(StockMovement.item_id == item_id)
        )


def deductions(app, booking_id: str) -> list[tuple]:
    with app.app_context():
        return [
            tuple(r)
            for r in db.session.execute(
                sa.select(BookingDeduction.item_id, BookingDeduction.requested, BookingDeduction.deducted).where(
                    BookingDeduction.booking_id == booking_id
                )
            ).all()
        ]


@pytest.fixture
def bookable(app, owner) -> Bookable:
    return Bookable(app, owner)


def backdate(app, item_id: str, moves) -> None:
    """Write history into an item's ledger: ``[(days_ago, delta)]`` (a test's past; the API only writes now)."""
    from datetime import timedelta
    from decimal import Decimal

    from careops.db import utcnow

    now = utcnow()
    with app.app_context():
        workspace_id = db.session.scalar(
            sa.select(StockMovement.workspace_id).where(StockMovement.item_id == item_id).limit(1)
        )
        for n, (days_ago, delta) in enumerate(moves):
            db.session.add(
                StockMovement(
                    workspace_id=workspace_id,
                    item_id=item_id,
                    delta=Decimal(str(delta)),
                    quantity_after=Decimal(0),
                    reason="history",
                    sequence=10_000 + n,
                    created_at=now - timedelta(days=days_ago),
                )
            )
        db.session.commit()

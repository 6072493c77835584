"""Request and response schemas of /inventory.

Quantities travel as **JSON numbers** (``2.5``), like the services'
``inventory_usage``: clients do arithmetic on them and every JSON library reads
them. They are exact: the database keeps three decimal places
(:mod:`careops.inventory.models`), and a number of at most 14 significant
digits has a shortest double representation that reads back as the same
decimal. On the way in, a value is taken through its decimal text (``0.1``
stays ``0.1``); more than three decimal places is refused (422) rather than
silently rounded.
"""

from decimal import Decimal, InvalidOperation

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str
from careops.inventory.models import SCALE

MAX_QUANTITY = Decimal("99999999999.999")


class Quantity(ma.fields.Field):
    """A decimal quantity: a JSON number in, a JSON number out, at most three decimal places."""

    default_error_messages = {  # noqa: RUF012 -- marshmallow's own declaration; merged, never mutated
        "invalid": "Not a number.",
        "places": f"At most {SCALE} decimal places.",
        "range": "Out of range.",
    }

    def __init__(self, *, minimum: Decimal | None = Decimal(0), allow_zero: bool = True, **kwargs):
        self.minimum, self.allow_zero = minimum, allow_zero
        kwargs.setdefault("metadata", {}).setdefault("type", "number")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not number.is_finite():
            raise self.make_error("invalid")
        if (
            abs(number) > MAX_QUANTITY
            or (self.minimum is not None and number < self.minimum)
            or (not self.allow_zero and number == 0)
        ):
            raise self.make_error("range")
        if number != number.quantize(Decimal(1).scaleb(-SCALE), rounding="ROUND_DOWN"):
            raise self.make_error("places")
        return number


class ServiceUsageSchema(ma.Schema):
    service_id = Str(36, min_length=1, required=True)
    quantity = Quantity(required=True, allow_zero=False, metadata={"description": "Used by one booking"})


def _unique_services(usage):
    ids = [u["service_id"] for u in usage]
    if len(ids) != len(set(ids)):
        raise ma.ValidationError("Each service at most once.")


class ItemSchema(ma.Schema):
    """An item as answered, and the body of POST."""

    id = ma.fields.String(dump_only=True)
    name = Str(120, min_length=1, required=True)
    unit = Str(20, min_length=1, load_default="unit", metadata={"description": "unit, ml, g, box…"})
    quantity = Quantity(load_default=Decimal(0), metadata={"description": "Writable at creation only"})
    low_stock_threshold = Quantity(load_default=Decimal(0))
    is_low = ma.fields.Boolean(dump_only=True, metadata={"description": "quantity ≤ low_stock_threshold"})
    service_usage = ma.fields.List(
        ma.fields.Nested(ServiceUsageSchema),
        validate=[validate.Length(max=100), _unique_services],
        metadata={"description": "The services' inventory_usage for this item"},
    )


class ItemPatchSchema(ma.Schema):
    name = Str(120, min_length=1)
    unit = Str(20, min_length=1)
    low_stock_threshold = Quantity()
    service_usage = ma.fields.List(
        ma.fields.Nested(ServiceUsageSchema), validate=[validate.Length(max=100), _unique_services]
    )


class ItemQuerySchema(ma.Schema):
    low = ma.fields.Boolean(metadata={"description": "Only items at or below (true) or above (false) threshold"})


class AdjustSchema(ma.Schema):
    delta = Quantity(
        required=True,
        minimum=None,
        allow_zero=False,
        metadata={"description": "Positive restocks, negative uses; below zero → 409"},
    )
    reason = Str(200, min_length=1, required=True)


class MovementSchema(ma.Schema):
    id = ma.fields.String()
    item_id = ma.fields.String()
    delta = Quantity()
    quantity_after = Quantity(metadata={"description": "The item's quantity after this movement"})
    reason = ma.fields.String()
    booking_id = ma.fields.String(allow_none=True)
    user_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class ForecastQuerySchema(ma.Schema):
    days = ma.fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))
    method = Str(60, metadata={"description": "Another installed forecaster than the workspace's, to compare"})


class ForecastSchema(ma.Schema):
    item_id = ma.fields.String()
    name = ma.fields.String()
    quantity = ma.fields.Float()
    expected_use = ma.fields.Float()
    days_until_empty = ma.fields.Float(allow_none=True, metadata={"description": "None: not within sight"})
    reorder_suggested = ma.fields.Boolean()
    method = ma.fields.String()


class ForecasterSettingsSchema(ma.Schema):
    method = ma.fields.String(metadata={"description": "The workspace's forecaster"})
    available = ma.fields.List(ma.fields.String(), dump_only=True)


class ForecasterChoiceSchema(ma.Schema):
    method = Str(60, min_length=1, required=True)

"""Fulfillment orders, holds and fulfillments: the work of getting goods to the customer.

A *fulfillment order* groups the lines to be fulfilled together from one location by one
delivery method, with a snapshot of the destination. A *fulfillment* is one shipment or
hand-over of some quantities of its lines, with tracking and the carrier's events.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import cast

import attrs

from orderflow.domain._fields import (
    AWARE,
    OPTIONAL_AWARE,
    OPTIONAL_TEXT,
    instance_of,
    optional,
    optional_text,
    text,
    texts,
    tuple_of,
    whole,
)
from orderflow.domain._revise import revised
from orderflow.domain.customer import Address
from orderflow.domain.limits import (
    ID,
    KEY,
    MAX_CARRIER_EVENTS,
    MAX_HOLDS,
    MAX_LINE_ITEMS,
    MAX_PARCEL,
    MAX_QUANTITY,
    MAX_TRACKING,
    NAME,
    NOTE,
    TRACKING_NUMBER,
    URL,
)
from orderflow.domain.machines import (
    FULFILLMENT_ORDER_TABLE,
    LABEL_TABLE,
    SERVICE_REQUEST_TABLE,
    FulfillmentOrderStatus,
    LabelStatus,
    RequestStatus,
)


class DeliveryMethod(str, enum.Enum):
    SHIPPING = "shipping"
    PICK_UP = "pick_up"
    """Local pickup: the customer collects at the location; a person marks it ready."""
    LOCAL_DELIVERY = "local_delivery"
    PICKUP_POINT = "pickup_point"
    RETAIL = "retail"
    NONE = "none"
    """Nothing to deliver: digital goods and gift cards."""


ADDRESSED = frozenset(
    {DeliveryMethod.SHIPPING, DeliveryMethod.LOCAL_DELIVERY, DeliveryMethod.PICKUP_POINT}
)
"""Delivery methods that go to the order's shipping address (and keep a snapshot of it)."""


class HoldReason(str, enum.Enum):
    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_RETURN_ITEMS = "awaiting_return_items"
    HIGH_RISK_OF_FRAUD = "high_risk_of_fraud"
    INCORRECT_ADDRESS = "incorrect_address"
    INVENTORY_OUT_OF_STOCK = "inventory_out_of_stock"
    POST_PURCHASE_UPSELL = "post_purchase_upsell"
    UNKNOWN_DELIVERY_DATE = "unknown_delivery_date"
    OTHER = "other"


class ShipmentStatus(str, enum.Enum):
    """Carrier events, in the order a shipment normally progresses (see ``RANK``)."""

    def __str__(self) -> str:
        return self.value.replace("_", " ")

    LABEL_PURCHASED = "label_purchased"
    LABEL_PRINTED = "label_printed"
    CONFIRMED = "confirmed"
    CARRIER_PICKED_UP = "carrier_picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPTED_DELIVERY = "attempted_delivery"
    DELAYED = "delayed"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    FAILURE = "failure"


class RejectionReason(str, enum.Enum):
    """Why a fulfillment service declined a request."""

    INCORRECT_ADDRESS = "incorrect_address"
    INVENTORY_OUT_OF_STOCK = "inventory_out_of_stock"
    INELIGIBLE_PRODUCT = "ineligible_product"
    UNDELIVERABLE_DESTINATION = "undeliverable_destination"
    OTHER = "other"


@attrs.frozen
class Location:
    """Where stock is kept and fulfilled from (a warehouse, a shop, a 3PL's site)."""

    id: str = attrs.field(validator=text(ID))
    name: str = attrs.field(validator=text(NAME))
    fulfillment_service: str | None = attrs.field(default=None, validator=optional_text(NAME))
    """The third-party service (3PL) that fulfils from here, if not the merchant."""


@attrs.frozen
class LineQuantity:
    """Some quantity of one line item: the unit of fulfillment orders and fulfillments."""

    line_item_id: str = attrs.field(validator=text(ID))
    quantity: int = attrs.field(validator=whole(MAX_QUANTITY))


@attrs.frozen(kw_only=True)
class Hold:
    """Why fulfillment must wait. Holds stack; each is released by its id.

    ``handle`` is the caller's own name for a hold (e.g. an app's), unique among the active
    holds of a fulfillment order.
    """

    id: str = attrs.field(validator=text(ID))
    reason: HoldReason = attrs.field(validator=instance_of(HoldReason))
    note: str | None = attrs.field(default=None, validator=optional_text(NOTE))
    handle: str | None = attrs.field(default=None, validator=optional_text(KEY))
    held_at: datetime = attrs.field(validator=AWARE)


@attrs.frozen(kw_only=True)
class ServiceRequest:
    """The latest request of a fulfillment order to its fulfillment service.

    ``reason`` and ``message`` are the service's answer (a rejection) or the last message
    of either side.
    """

    id: str = attrs.field(validator=text(ID))
    service: str = attrs.field(validator=text(NAME))
    status: RequestStatus = attrs.field(
        default="submitted", validator=SERVICE_REQUEST_TABLE.validator("service request")
    )
    submitted_at: datetime = attrs.field(validator=AWARE)
    accepted_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    """When the service took the work on (accepted, or refused to cancel)."""
    reason: RejectionReason | None = attrs.field(
        default=None, validator=optional(instance_of(RejectionReason))
    )
    message: str | None = attrs.field(default=None, validator=optional_text(NOTE))

    def moved(self, event: str, *, within: object, **facts: object) -> ServiceRequest:
        """This request after ``event``, checked against its machine (``within``: the order)."""
        status = SERVICE_REQUEST_TABLE.step(
            self.status, event, subject=f"{within} service request {self.id}"
        )
        return revised(self, status=cast(RequestStatus, status), **facts)

    @property
    def with_service(self) -> bool:
        """The service has the work: submitted, accepted, or a cancellation is pending or refused."""
        return self.status in (
            "submitted",
            "accepted",
            "cancellation_requested",
            "cancellation_rejected",
        )


@attrs.frozen(kw_only=True)
class FulfillmentOrder:
    id: str = attrs.field(validator=text(ID))
    location: Location = attrs.field(validator=instance_of(Location))
    delivery_method: DeliveryMethod = attrs.field(validator=instance_of(DeliveryMethod))
    destination: Address | None = attrs.field(
        default=None, validator=optional(instance_of(Address))
    )
    """A snapshot of the address it ships to (``None`` for pickup and digital goods)."""
    lines: tuple[LineQuantity, ...] = attrs.field(validator=tuple_of(LineQuantity, MAX_LINE_ITEMS))
    status: FulfillmentOrderStatus = attrs.field(
        default="open", validator=FULFILLMENT_ORDER_TABLE.validator("fulfillment order")
    )
    holds: tuple[Hold, ...] = attrs.field(default=(), validator=tuple_of(Hold, MAX_HOLDS))
    fulfill_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    """When a scheduled fulfillment order opens (a pre-order's expected date)."""
    ready_for_pickup_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    request: ServiceRequest | None = attrs.field(
        default=None, validator=optional(instance_of(ServiceRequest))
    )
    """The latest request to the location's fulfillment service (``None``: never submitted)."""

    def moved(self, event: str, *, within: object) -> FulfillmentOrder:
        """This fulfillment order after ``event``, checked against its machine (``within``:
        the order, to name it in the error)."""
        status = FULFILLMENT_ORDER_TABLE.step(
            self.status, event, subject=f"{within} fulfillment order {self.id}"
        )
        return revised(self, status=cast(FulfillmentOrderStatus, status))

    @property
    def request_status(self) -> RequestStatus:
        return "unsubmitted" if self.request is None else self.request.status

    @property
    def with_service(self) -> bool:
        return self.request is not None and self.request.with_service

    def quantity_of(self, line_item_id: str) -> int:
        return sum(line.quantity for line in self.lines if line.line_item_id == line_item_id)


@attrs.frozen(kw_only=True)
class Tracking:
    company: str | None = attrs.field(default=None, validator=optional_text(NAME))
    numbers: tuple[str, ...] = attrs.field(
        default=(), validator=texts(tuple, TRACKING_NUMBER, MAX_TRACKING)
    )
    urls: tuple[str, ...] = attrs.field(default=(), validator=texts(tuple, URL, MAX_TRACKING))
    """http(s) only: they end up in the customer's messages as links."""


@attrs.frozen(kw_only=True)
class ShipmentEvent:
    """One carrier event, as reported; ``at`` is when it happened at the carrier."""

    status: ShipmentStatus = attrs.field(validator=instance_of(ShipmentStatus))
    at: datetime = attrs.field(validator=AWARE)
    message: str | None = attrs.field(default=None, validator=optional_text(NOTE))


@attrs.frozen(kw_only=True)
class Parcel:
    """What the carrier takes: weight in grams, outer dimensions in centimetres."""

    weight_grams: int = attrs.field(validator=whole(MAX_PARCEL))
    length_cm: int = attrs.field(validator=whole(MAX_PARCEL))
    width_cm: int = attrs.field(validator=whole(MAX_PARCEL))
    height_cm: int = attrs.field(validator=whole(MAX_PARCEL))


@attrs.frozen(kw_only=True)
class Label:
    """A shipping label for a fulfillment, bought through the label provider port; what
    the provider answered (tracking, document, error) is kept whole."""

    id: str = attrs.field(validator=text(ID))
    carrier: str = attrs.field(validator=text(NAME))
    service_level: str = attrs.field(validator=text(NAME))
    parcel: Parcel = attrs.field(validator=instance_of(Parcel))
    status: LabelStatus = attrs.field(default="pending", validator=LABEL_TABLE.validator("label"))
    requested_at: datetime = attrs.field(validator=AWARE)
    tracking_number: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    tracking_url: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    document: bytes | None = attrs.field(default=None, validator=optional(instance_of(bytes)))
    """The printable label (e.g. a PDF), as the provider returned it."""
    media_type: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)

    def moved(self, event: str, *, within: object, **facts: object) -> Label:
        """This label after ``event``, checked against its machine (``within``: the order)."""
        status = LABEL_TABLE.step(self.status, event, subject=f"{within} label {self.id}")
        return revised(self, status=cast(LabelStatus, status), **facts)


@attrs.frozen(kw_only=True)
class Fulfillment:
    id: str = attrs.field(validator=text(ID))
    fulfillment_order_id: str = attrs.field(validator=text(ID))
    lines: tuple[LineQuantity, ...] = attrs.field(validator=tuple_of(LineQuantity, MAX_LINE_ITEMS))
    created_at: datetime = attrs.field(validator=AWARE)
    tracking: Tracking | None = attrs.field(default=None, validator=optional(instance_of(Tracking)))
    events: tuple[ShipmentEvent, ...] = attrs.field(
        default=(), validator=tuple_of(ShipmentEvent, MAX_CARRIER_EVENTS)
    )
    cancelled_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    label: Label | None = attrs.field(default=None, validator=optional(instance_of(Label)))

    @property
    def active(self) -> bool:
        return self.cancelled_at is None

"""Fulfillment commands: fulfil, hold and release, schedule, pickup, tracking, carrier
events, the shipping address."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from typing_extensions import overload

from orderflow.domain import fulfilling, holds, labels, routing
from orderflow.domain.actor import Actor
from orderflow.domain.customer import Address
from orderflow.domain.fulfillment import (
    HoldReason,
    LineQuantity,
    Location,
    Parcel,
    ShipmentEvent,
    Tracking,
)
from orderflow.domain.limits import ID, strings
from orderflow.domain.order import Order
from orderflow.service.commands import Commands


class FulfillmentCommands(Commands):
    """The fulfillment commands of :class:`~orderflow.service.OrderFlow`."""

    def fulfill(
        self,
        order_id: str,
        fulfillment_order_id: str,
        lines: Iterable[LineQuantity] | None = None,
        *,
        actor: Actor,
        tracking: Tracking | None = None,
        notify_customer: bool = True,
    ) -> Order:
        """Fulfil a fulfillment order, or chosen quantities of its lines (the rest stays open);
        ``notify_customer=False`` sends no shipping confirmation."""
        chosen = None if lines is None else tuple(lines)
        return self._execute(
            order_id,
            actor,
            "fulfill",
            lambda order, now: fulfilling.fulfill(
                order,
                fulfillment_order_id,
                chosen,
                tracking=tracking,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
                notify_customer=notify_customer,
            ),
        )

    def cancel_fulfillment(
        self,
        order_id: str,
        fulfillment_id: str,
        *,
        actor: Actor,
        restock: bool = True,
        note: str | None = None,
    ) -> Order:
        """Cancel a fulfillment; its quantities can be fulfilled again, and are restocked
        through the InventoryPort when one is configured."""
        return self._execute(
            order_id,
            actor,
            "cancel_fulfillment",
            lambda order, now: fulfilling.cancel_fulfillment(
                order, fulfillment_id, restock=restock, note=note, now=now, actor=actor
            ),
        )

    def hold(
        self,
        order_id: str,
        fulfillment_order_id: str,
        reason: HoldReason,
        *,
        actor: Actor,
        note: str | None = None,
        handle: str | None = None,
        lines: Iterable[LineQuantity] | None = None,
        notify_staff: bool = False,
    ) -> Order:
        """Hold fulfillment (holds stack); with ``lines``, only those, split off first;
        ``notify_staff`` alerts the store's staff."""
        chosen = None if lines is None else tuple(lines)
        return self._execute(
            order_id,
            actor,
            "hold",
            lambda order, now: holds.hold(
                order,
                fulfillment_order_id,
                reason,
                note=note,
                handle=handle,
                lines=chosen,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
                notify_staff=notify_staff,
            ),
        )

    @overload
    def release(
        self,
        order_id: str,
        fulfillment_order_id: str,
        hold_id: str,
        *,
        actor: Actor,
        release_all: Literal[False] = False,
    ) -> Order: ...

    @overload
    def release(
        self,
        order_id: str,
        fulfillment_order_id: str,
        hold_id: None = None,
        *,
        actor: Actor,
        release_all: Literal[True],
    ) -> Order: ...

    def release(
        self,
        order_id: str,
        fulfillment_order_id: str,
        hold_id: str | None = None,
        *,
        actor: Actor,
        release_all: bool = False,
    ) -> Order:
        """Release one hold by id, or all of them with ``release_all=True``: one or the
        other (both, or neither, is a call of the wrong type: TypeError)."""
        return self._execute(
            order_id,
            actor,
            "release",
            lambda order, now: holds.release(
                order, fulfillment_order_id, hold_id, release_all=release_all, now=now, actor=actor
            ),
        )

    def schedule(
        self, order_id: str, fulfillment_order_id: str, fulfill_at: datetime, *, actor: Actor
    ) -> Order:
        return self._execute(
            order_id,
            actor,
            "schedule",
            lambda order, now: fulfilling.schedule(
                order, fulfillment_order_id, fulfill_at, now=now, actor=actor
            ),
        )

    def open_fulfillment(self, order_id: str, fulfillment_order_id: str, *, actor: Actor) -> Order:
        """Fulfil a scheduled fulfillment order now, or take back an incomplete one."""
        return self._execute(
            order_id,
            actor,
            "open_fulfillment",
            lambda order, now: fulfilling.open_now(
                order, fulfillment_order_id, now=now, actor=actor
            ),
        )

    def ready_for_pickup(self, order_id: str, fulfillment_order_id: str, *, actor: Actor) -> Order:
        return self._execute(
            order_id,
            actor,
            "ready_for_pickup",
            lambda order, now: fulfilling.ready_for_pickup(
                order, fulfillment_order_id, now=now, actor=actor
            ),
        )

    def picked_up(self, order_id: str, fulfillment_order_id: str, *, actor: Actor) -> Order:
        return self._execute(
            order_id,
            actor,
            "picked_up",
            lambda order, now: fulfilling.picked_up(
                order, fulfillment_order_id, new_id=self.ids.new_id, now=now, actor=actor
            ),
        )

    def update_tracking(
        self,
        order_id: str,
        fulfillment_id: str,
        tracking: Tracking,
        *,
        actor: Actor,
        notify_customer: bool = True,
    ) -> Order:
        """Add or replace tracking; ``notify_customer=False`` sends no shipping update."""
        return self._execute(
            order_id,
            actor,
            "update_tracking",
            lambda order, now: fulfilling.update_tracking(
                order,
                fulfillment_id,
                tracking,
                now=now,
                actor=actor,
                notify_customer=notify_customer,
            ),
        )

    def record_shipment_event(
        self,
        order_id: str,
        fulfillment_id: str,
        event: ShipmentEvent,
        *,
        idempotency_key: str,
        actor: Actor,
    ) -> Order:
        """Record a carrier event, once per key (carriers redeliver their webhooks)."""
        return self._execute(
            order_id,
            actor,
            "record_shipment_event",
            lambda order, now: fulfilling.record_shipment_event(
                order, fulfillment_id, event, now=now, actor=actor
            ),
            request=("carrier", idempotency_key, (fulfillment_id, event)),
        )

    def change_shipping_address(
        self,
        order_id: str,
        address: Address,
        *,
        actor: Actor,
        note: str | None = None,
        notify_customer: bool = True,
    ) -> Order:
        """Change the shipping address, while nothing has left for it yet;
        ``notify_customer=False`` sends no order-edited message."""
        return self._execute(
            order_id,
            actor,
            "change_shipping_address",
            lambda order, now: fulfilling.change_shipping_address(
                order, address, note=note, now=now, actor=actor, notify_customer=notify_customer
            ),
        )

    def move_fulfillment_order(
        self,
        order_id: str,
        fulfillment_order_id: str,
        location: Location,
        lines: Iterable[LineQuantity] | None = None,
        *,
        actor: Actor,
    ) -> Order:
        """Fulfil from another location; with ``lines``, only those (split off first)."""
        chosen = None if lines is None else tuple(lines)
        return self._execute(
            order_id,
            actor,
            "move_fulfillment_order",
            lambda order, now: routing.move(
                order, fulfillment_order_id, location, chosen, now=now, actor=actor
            ),
        )

    def split_fulfillment_order(
        self,
        order_id: str,
        fulfillment_order_id: str,
        lines: Iterable[LineQuantity],
        *,
        actor: Actor,
    ) -> Order:
        """Move chosen quantities into a new fulfillment order."""
        chosen = tuple(lines)
        return self._execute(
            order_id,
            actor,
            "split_fulfillment_order",
            lambda order, now: routing.split_off(
                order, fulfillment_order_id, chosen, now=now, actor=actor
            ),
        )

    def merge_fulfillment_orders(
        self, order_id: str, fulfillment_order_ids: Iterable[str], *, actor: Actor
    ) -> Order:
        """Join fulfillment orders going the same way; the first takes the others' lines."""
        chosen = strings(fulfillment_order_ids, "fulfillment_order_ids", ID)
        return self._execute(
            order_id,
            actor,
            "merge_fulfillment_orders",
            lambda order, now: routing.merge(order, chosen, now=now, actor=actor),
        )

    def buy_label(
        self,
        order_id: str,
        fulfillment_id: str,
        *,
        carrier: str,
        service_level: str,
        parcel: Parcel,
        actor: Actor,
    ) -> Order:
        """Buy a shipping label for a fulfillment through the label provider (after the save)."""
        return self._execute(
            order_id,
            actor,
            "buy_label",
            lambda order, now: labels.buy(
                order,
                fulfillment_id,
                carrier=carrier,
                service_level=service_level,
                parcel=parcel,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
            ),
        )

    def void_label(self, order_id: str, fulfillment_id: str, *, actor: Actor) -> Order:
        """Void a fulfillment's label; its tracking is cleared once the provider voided it."""
        return self._execute(
            order_id,
            actor,
            "void_label",
            lambda order, now: labels.void(order, fulfillment_id, now=now, actor=actor),
        )

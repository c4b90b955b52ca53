"""Commands around fulfillment services: the merchant's requests, and the service's
answers and shipments (callbacks, each once per idempotency key)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from orderflow.domain import fulfilling, service_requests
from orderflow.domain.actor import Actor
from orderflow.domain.fulfillment import LineQuantity, RejectionReason, Tracking
from orderflow.domain.order import Change, Order
from orderflow.service.commands import Commands

SOURCE = "fulfillment_service"
"""The key space of the services' callbacks."""


class Answer(Protocol):
    def __call__(
        self, order: Order, request_id: str, *, message: str | None, now: datetime, actor: Actor
    ) -> Change: ...


class ServiceRequestCommands(Commands):
    """The fulfillment service commands of :class:`~orderflow.service.OrderFlow`."""

    def request_fulfillment(
        self,
        order_id: str,
        fulfillment_order_id: str,
        lines: Iterable[LineQuantity] | None = None,
        *,
        actor: Actor,
        message: str | None = None,
    ) -> Order:
        """Ask the location's fulfillment service to fulfil (some of) a fulfillment order;
        the request goes out through the outbox after the save."""
        chosen = None if lines is None else tuple(lines)
        return self._execute(
            order_id,
            actor,
            "request_fulfillment",
            lambda order, now: service_requests.submit(
                order,
                fulfillment_order_id,
                chosen,
                message=message,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
            ),
        )

    def request_fulfillment_cancellation(
        self, order_id: str, fulfillment_order_id: str, *, actor: Actor, message: str | None = None
    ) -> Order:
        return self._execute(
            order_id,
            actor,
            "request_fulfillment_cancellation",
            lambda order, now: service_requests.request_cancellation(
                order, fulfillment_order_id, message=message, now=now, actor=actor
            ),
        )

    def accept_fulfillment_request(
        self,
        order_id: str,
        request_id: str,
        *,
        idempotency_key: str,
        actor: Actor,
        message: str | None = None,
    ) -> Order:
        return self._answer(
            "accept_fulfillment_request",
            service_requests.accept,
            order_id,
            request_id,
            idempotency_key,
            actor,
            message,
        )

    def reject_fulfillment_request(
        self,
        order_id: str,
        request_id: str,
        reason: RejectionReason,
        *,
        idempotency_key: str,
        actor: Actor,
        message: str | None = None,
    ) -> Order:
        return self._execute(
            order_id,
            actor,
            "reject_fulfillment_request",
            lambda order, now: service_requests.reject(
                order, request_id, reason, message=message, now=now, actor=actor
            ),
            request=(SOURCE, idempotency_key, ("reject", request_id, reason, message)),
        )

    def accept_fulfillment_cancellation(
        self,
        order_id: str,
        request_id: str,
        *,
        idempotency_key: str,
        actor: Actor,
        message: str | None = None,
    ) -> Order:
        return self._answer(
            "accept_fulfillment_cancellation",
            service_requests.accept_cancellation,
            order_id,
            request_id,
            idempotency_key,
            actor,
            message,
        )

    def reject_fulfillment_cancellation(
        self,
        order_id: str,
        request_id: str,
        *,
        idempotency_key: str,
        actor: Actor,
        message: str | None = None,
    ) -> Order:
        return self._answer(
            "reject_fulfillment_cancellation",
            service_requests.reject_cancellation,
            order_id,
            request_id,
            idempotency_key,
            actor,
            message,
        )

    def close_fulfillment_request(
        self,
        order_id: str,
        request_id: str,
        *,
        idempotency_key: str,
        actor: Actor,
        message: str | None = None,
    ) -> Order:
        """The service gives up: the fulfillment order becomes incomplete, the merchant's again."""
        return self._answer(
            "close_fulfillment_request",
            service_requests.close,
            order_id,
            request_id,
            idempotency_key,
            actor,
            message,
        )

    def record_service_fulfillment(
        self,
        order_id: str,
        request_id: str,
        lines: Iterable[LineQuantity] | None = None,
        *,
        idempotency_key: str,
        actor: Actor,
        tracking: Tracking | None = None,
    ) -> Order:
        """The service shipped (some of) an accepted request, with its tracking."""
        chosen = None if lines is None else tuple(lines)

        def decide(order: Order, now: datetime) -> Change:
            fo = service_requests.by_request(order, request_id)
            return fulfilling.fulfill(
                order,
                fo.id,
                chosen,
                tracking=tracking,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
                by_service=True,
            )

        return self._execute(
            order_id,
            actor,
            "record_service_fulfillment",
            decide,
            request=(SOURCE, idempotency_key, ("fulfil", request_id, chosen, tracking)),
        )

    def _answer(
        self,
        command: str,
        answer: Answer,
        order_id: str,
        request_id: str,
        idempotency_key: str,
        actor: Actor,
        message: str | None,
    ) -> Order:
        """One of the service's answers, applied once per idempotency key."""
        return self._execute(
            order_id,
            actor,
            command,
            lambda order, now: answer(order, request_id, message=message, now=now, actor=actor),
            request=(SOURCE, idempotency_key, (command, request_id, message)),
        )

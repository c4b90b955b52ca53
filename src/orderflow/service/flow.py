"""``OrderFlow``: one method per command. Load, authorize, decide, save, then run jobs.

No outside call happens before the save: the domain records intents, the save stores them
with their outbox items in one transaction, and :meth:`OrderFlow.dispatch` (or, with
``Settings(run_jobs_inline=True)``, the command itself) carries them out afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, TypeVar

import attrs

from orderflow.domain import archive as archiving
from orderflow.domain import (
    cancellation,
    due,
    labels,
    notes,
    placement,
    policies,
    refunding,
)
from orderflow.domain.actor import SYSTEM, Actor
from orderflow.domain.events import MessageRequested
from orderflow.domain.limits import KEY, ORDER_ID, TAG, check_number, check_time, strings
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.policies import Policies
from orderflow.domain.refund import RefundReason
from orderflow.errors import (
    DocumentError,
    DuplicateOrder,
    IdempotencyConflict,
    InvalidQuantity,
    NotificationError,
    NotPermitted,
    OrderNotFound,
    UndeliverableMessage,
)
from orderflow.notifications import Notifications, NotificationSettings
from orderflow.ports import (
    Authorizer,
    Clock,
    Delivery,
    EventPublisher,
    FulfillmentService,
    IdempotencyRecord,
    IdGenerator,
    InventoryPort,
    LabelProvider,
    LabelVoid,
    Notifier,
    OrderQuery,
    OrderRepository,
    Outbox,
    OutboxItem,
    Page,
    PaymentGateway,
)
from orderflow.ports.outbox import mark_all_delivered
from orderflow.ports.repository import ReferenceKind, unit_of_work
from orderflow.serialization import converter
from orderflow.service import jobs
from orderflow.service.commands import Decide
from orderflow.service.fulfillment_commands import FulfillmentCommands
from orderflow.service.message_commands import MessageCommands
from orderflow.service.payment_commands import PaymentCommands
from orderflow.service.service_request_commands import ServiceRequestCommands
from orderflow.service.settings import Settings, StaffAndSystem

Outcome = Literal["delivered", "failed", "dead"]
MAX_DISPATCH = 10_000
"""The most outbox items one :meth:`OrderFlow.dispatch` claims."""
T = TypeVar("T")


@attrs.frozen
class DispatchReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: tuple[tuple[str, str], ...] = ()
    """(outbox key, error) of each failed attempt, also kept in the outbox."""
    skipped: int = 0
    """Items whose order could not be read (a DocumentError): retried later, counted in
    ``failed`` too."""


@attrs.frozen
class DueReport:
    changed: int = 0
    """Orders that changed."""
    skipped: tuple[str, ...] = ()
    """Ids of orders that could not be read (a DocumentError): left as they are."""


class OrderFlow(PaymentCommands, FulfillmentCommands, ServiceRequestCommands, MessageCommands):
    """The application service a host calls. Every command names its ``actor``.

    With ``notifications`` (settings, or :class:`~orderflow.notifications.Notifications`
    built from them) each command's messages are rendered as it saves and delivered by
    :meth:`dispatch` through ``notifier``.
    """

    def __init__(
        self,
        *,
        repository: OrderRepository,
        outbox: Outbox,
        gateway: PaymentGateway,
        clock: Clock,
        ids: IdGenerator,
        publisher: EventPublisher | None = None,
        notifier: Notifier | None = None,
        notifications: Notifications | NotificationSettings | None = None,
        inventory: InventoryPort | None = None,
        fulfillment_service: FulfillmentService | None = None,
        labels: LabelProvider | None = None,
        authorizer: Authorizer | None = None,
        policies: Policies | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.repository = repository
        self.outbox = outbox
        self.gateway = gateway
        self.clock = clock
        self.ids = ids
        self.publisher = publisher
        self.notifier = notifier
        if isinstance(notifications, NotificationSettings):
            notifications = Notifications(notifications)
        if notifications is not None and notifier is None:
            raise NotificationError("notifications need a notifier to deliver them: pass notifier=")
        self.notifications = notifications
        self.inventory = inventory
        self.fulfillment_service = fulfillment_service
        self.labels = labels
        self.policies = policies or Policies()
        self.authorizer = authorizer or StaffAndSystem()
        self.settings = settings or Settings()

    # -- reading ------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        """The order with id ``order_id`` (:class:`OrderNotFound` else); an id no store
        could hold is refused first (InvalidText), as every command refuses it."""
        ORDER_ID.check(order_id, "'order_id'")
        return self.repository.get(order_id)

    def find(self, kind: ReferenceKind, value: str) -> Order:
        """The order an outside reference points to (a callback's tracking number, service
        request id, fulfillment order id or gateway reference)."""
        order = self.repository.by_reference(kind, value)
        if order is None:
            raise OrderNotFound(f"no order carries {kind.replace('_', ' ')} {value!r}")
        return order

    def orders(self, query: OrderQuery | None = None) -> Page:
        return self.repository.query(query or OrderQuery())

    # -- commands -------------------------------------------------------------------------

    def place(self, draft: placement.OrderDraft, *, actor: Actor) -> Order:
        """Place an order; the same external checkout id again returns the first order, to
        an actor the authorizer lets read it (``"get"``)."""
        if not isinstance(draft, placement.OrderDraft):
            raise TypeError(f"'draft' must be an OrderDraft, got {type(draft).__name__}")
        self._authorize(actor, "place", None)
        with unit_of_work(self.repository):
            placed = self._place(draft, actor)
        return placed if isinstance(placed, Order) else self._after_save(*placed)

    def _place(
        self, draft: placement.OrderDraft, actor: Actor
    ) -> Order | tuple[Order, tuple[OutboxItem, ...]]:
        """The order placed before with the same checkout, or the new order saved with its
        outbox items (jobs to run)."""
        checkout = draft.external_checkout_id
        if checkout is not None and (existing := self.repository.by_checkout_id(checkout)):
            self._authorize(actor, "get", existing)
            return existing
        now = self.clock.now()
        number = draft.number if draft.number is not None else self.repository.next_number()
        change = placement.place(
            draft, order_id=self.ids.new_id(), number=number, now=now, actor=actor
        )
        change = change.then(self._follow(change, now))
        order = change.recorded(version=1).order
        items = self._items(order, change, now)
        try:
            self.repository.add(order, outbox=items)
        except DuplicateOrder:
            if checkout is not None and (existing := self.repository.by_checkout_id(checkout)):
                self._authorize(actor, "get", existing)
                return existing  # a concurrent place with the same checkout won
            raise
        return order, items

    def cancel(
        self,
        order_id: str,
        reason: CancelReason,
        *,
        actor: Actor,
        note: str | None = None,
        refund: bool = True,
        notify_customer: bool = True,
    ) -> Order:
        """Cancel; held funds are voided and, with ``refund``, what was taken is refunded;
        ``notify_customer=False`` sends no cancellation (nor refund) message."""
        return self._execute(
            order_id,
            actor,
            "cancel",
            lambda order, now: cancellation.cancel(
                order,
                reason,
                note=note,
                refund=refund,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
                notify_customer=notify_customer,
            ),
        )

    def cancel_unfulfilled(
        self,
        order_id: str,
        *,
        actor: Actor,
        reason: RefundReason = RefundReason.OUT_OF_STOCK,
        note: str | None = None,
        notify_customer: bool = True,
    ) -> Order:
        """Cancel what has not shipped of a partly shipped order
        (:func:`~orderflow.domain.refunding.cancel_unfulfilled`): back to stock, refunded
        or its authorization released; ``notify_customer=False`` sends no message."""
        return self._execute(
            order_id,
            actor,
            "cancel_unfulfilled",
            lambda order, now: refunding.cancel_unfulfilled(
                order,
                reason=reason,
                note=note,
                notify_customer=notify_customer,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
            ),
        )

    def archive(self, order_id: str, *, actor: Actor) -> Order:
        return self._execute(
            order_id,
            actor,
            "archive",
            lambda order, now: archiving.archive(order, now=now, actor=actor),
        )

    def unarchive(self, order_id: str, *, actor: Actor) -> Order:
        return self._execute(
            order_id,
            actor,
            "unarchive",
            lambda order, now: archiving.unarchive(order, now=now, actor=actor),
        )

    def update_note(self, order_id: str, note: str, *, actor: Actor) -> Order:
        return self._execute(
            order_id,
            actor,
            "update_note",
            lambda order, now: notes.update_note(order, note, now=now, actor=actor),
        )

    def retag(
        self, order_id: str, *, actor: Actor, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Order:
        add, remove = strings(add, "add", TAG), strings(remove, "remove", TAG)
        return self._execute(
            order_id,
            actor,
            "retag",
            lambda order, now: notes.retag(order, add=add, remove=remove, now=now, actor=actor),
        )

    # -- background work ----------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> DueReport:
        """Do what has come due by ``now`` (default: the clock): authorizations lapse,
        requests unanswered for too long go on review, scheduled fulfillment opens, old
        idempotency records are forgotten. An order that cannot be read is skipped (and
        named in the report); the others go on."""
        now = self.clock.now() if now is None else check_time(now, "'now'")
        self.repository.purge_idempotency(now)
        changed, skipped = 0, []
        for order_id in self.repository.due_before(now):
            try:
                changed += self._run_due_on(order_id, now)
            except DocumentError:
                skipped.append(order_id)
        return DueReport(changed=changed, skipped=tuple(skipped))

    def _run_due_on(self, order_id: str, now: datetime) -> bool:
        def decide(order: Order, _: datetime) -> Change:
            return due.run_due(order, new_id=self.ids.new_id, now=now, actor=SYSTEM)

        before = self.repository.get(order_id).version
        after = self.retrying(lambda: self._execute(order_id, SYSTEM, "run_due", decide, now=now))
        return after.version != before

    def dispatch(self, *, limit: int = 100) -> DispatchReport:
        """Deliver up to ``limit`` due outbox items (1 to 10,000): gateway calls, messages
        and published events. At least once."""
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"'limit' must be an int, got {type(limit).__name__}")
        if limit < 1:
            raise InvalidQuantity(f"'limit' must be at least 1, got {limit}")
        check_number(limit, MAX_DISPATCH, "'limit'")
        now = self.clock.now()
        lease = self.settings.lease
        delivered: list[tuple[str, datetime]] = []

        def deliver(delivery: Delivery) -> tuple[Outcome, str | None, bool]:
            attempt = self._deliver(delivery, now, delivered)
            # a delivery not yet recorded is claimable again once its lease ends, and
            # made again after a crash: record every RECORD_EVERY, and before half the
            # lease has passed
            if len(delivered) >= RECORD_EVERY or (
                delivered and self.clock.now() - now >= lease / 2
            ):
                batch = delivered[:]
                delivered.clear()
                mark_all_delivered(self.outbox, batch)
            return attempt

        with unit_of_work(self.outbox):  # one connection for the claim and the outcomes
            try:
                attempts = [
                    (d.item.key, deliver(d))
                    for d in self.outbox.claim(now, limit=limit, lease=lease)
                ]
            finally:  # the pass's deliveries recorded together: one write, not one each
                mark_all_delivered(self.outbox, delivered)
        outcomes = [outcome for _, (outcome, _, _) in attempts]
        return DispatchReport(
            outcomes.count("delivered"),
            outcomes.count("failed"),
            outcomes.count("dead"),
            tuple((key, error) for key, (_, error, _) in attempts if error is not None),
            skipped=sum(unreadable for _, (_, _, unreadable) in attempts),
        )

    def run_job(self, key: str) -> Outcome | None:
        """Carry out one outbox item now (``None`` if it is not pending or leased elsewhere)."""
        now = self.clock.now()
        delivery = self.outbox.claim_key(key, now, lease=self.settings.lease)
        return None if delivery is None else self._deliver(delivery, now)[0]

    def requeue(self, key: str) -> None:
        """Retry a dead-lettered item, once its cause is fixed (its key is unchanged, so a
        gateway that already acted on it answers without acting twice)."""
        self.outbox.requeue(key, self.clock.now())

    # -- the pipeline ---------------------------------------------------------------------

    def _authorize(self, actor: Actor, command: str, order: Order | None) -> None:
        if not isinstance(actor, Actor):
            raise TypeError(f"'actor' must be an Actor, got {type(actor).__name__}")
        if not self.authorizer.allows(actor, command, order):
            target = f" on {order}" if order is not None else ""
            raise NotPermitted(f"{actor} may not {command}{target}")

    def _execute(
        self,
        order_id: str,
        actor: Actor,
        command: str,
        decide: Decide,
        *,
        request: tuple[str, str, Any] | None = None,
        now: datetime | None = None,
        loaded: Order | None = None,
    ) -> Order:
        """Load, authorize, then (for a request from outside) recognise a replay, decide,
        save with the version check, run jobs. The reads and the save share one connection
        when the repository offers a unit of work; no write lock is held until the save.

        ``loaded`` is the order as a job just read it: decided on without reading it again
        (the save's version check still refuses it if it changed since; a retry reloads)."""
        ORDER_ID.check(order_id, "'order_id'")
        if not isinstance(actor, Actor):
            raise TypeError(f"'actor' must be an Actor, got {type(actor).__name__}")
        with unit_of_work(self.repository):
            saved = self._decide_and_save(order_id, actor, command, decide, request, now, loaded)
        return saved if isinstance(saved, Order) else self._after_save(*saved)

    def _decide_and_save(
        self,
        order_id: str,
        actor: Actor,
        command: str,
        decide: Decide,
        request: tuple[str, str, Any] | None,
        now: datetime | None,
        loaded: Order | None,
    ) -> Order | tuple[Order, tuple[OutboxItem, ...]]:
        """The order unchanged, or the order saved with its outbox items (jobs to run)."""
        record = None
        if request is not None:
            source, key, payload = request
            KEY.check(key, "'idempotency_key'")
        order = self.repository.get(order_id) if loaded is None else loaded
        self._authorize(actor, command, order)
        if request is not None:
            digest = _request_hash(command, order_id, payload)
            found = self.repository.idempotency_record(source, key)
            if found is not None and found.expires_at > self.clock.now():
                if found.request_hash != digest or found.order_id != order_id:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} ({source}) was used for another request; "
                        "use a new key for a new request"
                    )
                return order  # a replay: nothing changes
        now = now or check_time(self.clock.now(), "the clock's time")
        change = decide(order, now)
        change = change.then(self._follow(change, now))
        if request is not None:
            record = IdempotencyRecord(
                source=source,
                key=key,
                request_hash=digest,
                order_id=order_id,
                created_at=now,
                expires_at=now + self.settings.idempotency_retention,
            )
        if not change.events and record is None and change.order == order:
            return order  # nothing happened: nothing to save
        after = change.recorded(version=order.version + 1).order
        items = self._items(after, change, now)
        self.repository.save(
            after, expected_version=order.version, outbox=items, idempotency=record
        )
        return after, items

    def _follow(self, change: Change, now: datetime) -> Change:
        return policies.follow(
            change.order, change.events, self.policies, new_id=self.ids.new_id, now=now
        )

    def _items(self, order: Order, change: Change, now: datetime) -> tuple[OutboxItem, ...]:
        items = jobs.outbox_items(
            order,
            change.events,
            now,
            publish=self.publisher is not None,
            restock=self.inventory is not None,
        )
        if self.notifications is None:
            return items
        originals = {
            e.resend_of: self.message(order.id, e.resend_of)
            for e in change.events
            if isinstance(e, MessageRequested) and e.resend_of is not None
        }
        messages = self.notifications.messages(order, change.events, originals=originals)
        return items + jobs.message_items(messages, now)

    def _after_save(self, order: Order, items: tuple[OutboxItem, ...]) -> Order:
        if not self.settings.run_jobs_inline:
            return order
        ran = [self.run_job(item.key) for item in items if item.topic == jobs.PAYMENT]
        return self.repository.get(order.id) if ran else order

    def _deliver(
        self,
        delivery: Delivery,
        now: datetime,
        delivered: list[tuple[str, datetime]] | None = None,
    ) -> tuple[Outcome, str | None, bool]:
        """Carry out one item: its outcome, the error if it failed, and whether it failed
        because its order could not be read. Its delivery is recorded at once, or added
        to ``delivered`` for the caller to record."""
        item = delivery.item
        try:
            self._carry_out(delivery, now)
        except Exception as exc:  # an outside call failed: kept in the outbox, retried, reported
            error = f"{type(exc).__name__}: {exc}"
            retry_at = (  # dead at once when no retry could change the outcome
                None
                if isinstance(exc, (jobs.GiveUp, UndeliverableMessage))
                else self.settings.retry.retry_at(delivery.attempts, now)
            )
            self.outbox.mark_failed(item.key, error=error, retry_at=retry_at)
            if retry_at is None and item.topic == jobs.PAYMENT and not isinstance(exc, jobs.GiveUp):
                self._review_dead_payment(item, error, now)
            return ("failed" if retry_at else "dead"), error, isinstance(exc, DocumentError)
        if delivered is None:
            self.outbox.mark_delivered(item.key, self.clock.now())
        else:
            delivered.append((item.key, self.clock.now()))
        return "delivered", None, False

    def _carry_out(self, delivery: Delivery, now: datetime) -> None:
        item = delivery.item
        if item.topic == jobs.MESSAGE:
            if self.notifier is None:
                raise LookupError("a message was queued but no Notifier is configured")
            self.notifier.send(self._deliverable(jobs.message(item)))
            return
        if item.topic == jobs.EVENT:
            if self.publisher is None:
                raise LookupError("an event item was queued but no EventPublisher is configured")
            self.publisher.publish(jobs.published(item))
            return
        if item.topic == jobs.SERVICE:
            if self.fulfillment_service is None:
                raise LookupError(
                    "a fulfillment service request was queued but no FulfillmentService is configured"
                )
            call = jobs.service_call(self.repository.get(item.order_id), item)
            if call is not None:  # else superseded: answered, cancelled or resubmitted since
                self.fulfillment_service.send(call)
            return
        if item.topic == jobs.LABEL:
            self._label_job(item)
            return
        if item.topic == jobs.RESTOCK:
            if self.inventory is None:
                raise LookupError("a restock item was queued but no InventoryPort is configured")
            self.inventory.restock(jobs.restock_request(item))
            return
        self._payment_job(delivery, now)

    def _label_job(self, item: OutboxItem) -> None:
        if self.labels is None:
            raise LookupError("a label job was queued but no LabelProvider is configured")
        order = self.repository.get(item.order_id)
        call = jobs.label_call(order, item)
        if call is None:
            return  # answered since: an earlier delivery recorded it
        if isinstance(call, LabelVoid):
            voided = self.labels.void(call)

            def decide(o: Order, now: datetime) -> Change:
                return labels.record_void(
                    o,
                    call.fulfillment_id,
                    call.label_id,
                    voided=voided,
                    error=None if voided else "the carrier refused",
                    now=now,
                    actor=SYSTEM,
                )
        else:
            result = self.labels.buy(call)

            def decide(o: Order, now: datetime) -> Change:
                return labels.record_purchase(
                    o, call.fulfillment_id, call.label_id, result, now=now, actor=SYSTEM
                )

        self.retrying(lambda: self._execute(order.id, SYSTEM, "record_label", decide))


RECORD_EVERY = 20
"""A dispatch pass records its deliveries in writes of at most this many."""

_HASHED = json.JSONEncoder(sort_keys=True, default=str)
"""What ``json.dumps(..., sort_keys=True, default=str)`` makes, without a new encoder per
call: stored request hashes stay the same text's."""


def _request_hash(command: str, order_id: str, payload: Any) -> str:
    body = _HASHED.encode([command, order_id, converter.unstructure(payload)])
    return hashlib.sha256(body.encode()).hexdigest()

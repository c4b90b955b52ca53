"""A hand-written, plain-Python version of the benchmarked order lifecycle (design brief §11).

The lifecycle: place -> record the checkout's authorization (a webhook with an idempotency
key) -> staff capture (saved as a pending intent plus an outbox item carrying an idempotency
key) -> dispatch the outbox (call the gateway with that key, record its answer) -> archive.

It does, by hand, with dicts, lists and ``Decimal``, what orderflow does on these steps:

- input checked at the edge (types, required text, positive quantities, known currencies);
- money as ``Decimal`` quantized to the currency's minor unit with ``ROUND_HALF_EVEN``, and
  every amount that enters an order checked against the order's currency;
- the actor's permission checked on every command;
- every state change checked against its lifecycle (authorization, payment, archive);
- an idempotency record per webhook key, with a request hash (sha256 of JSON) that tells a
  replay from a reuse of the key;
- a timeline entry per step;
- orders copied, never changed in place, and saved with a version check (optimistic
  concurrency); outbox items and the idempotency record saved with the order, under a lock;
- a due index (when an authorization lapses) kept up to date on every save;
- an outbox keyed by idempotency key, claimed with a lease, marked delivered or failed with
  backoff; a fake gateway that dedupes by key;
- derived figures (total, balance, financial status) computed from the facts when needed,
  never stored.

What it leaves out, because orderflow does it as library machinery rather than as work the
lifecycle needs: event objects (with no event publisher they only become timeline entries
and outbox items, which are built directly here), re-validating every field of an order each
time a copy is made, and transition tables compiled from state-machine classes (plain dicts
here). The ratio measures the cost of that machinery.

It is committed once and changed later only with a note below saying why, so that the
ratio stays comparable from one run to the next.

Changes:

- Issue 10 (money safety, input rules), so that both programs do the same work again: every
  string from outside is checked for length and characters as orderflow's input rules do
  (one-line fields refuse controls and line separators, notes refuse controls; the same
  limits), counts, quantities, amounts and times are bounded; a webhook already recorded
  (same kind and gateway reference) is recognised under any key; its request hash covers
  the report's two new fields (multi_capture, request_key); a capture takes what is still
  to capture (total - net paid - captures in flight), from the authorization that expires
  soonest, and the books are checked again before the gateway is first called; an answer
  repeating what is recorded changes nothing. Ratio before these changes, same machine and
  run conditions: 6.56x (issue 10's closing note).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

Order = dict[str, Any]
Transaction = dict[str, Any]
Actor = dict[str, Any]
Delivery = dict[str, Any]
Result = dict[str, Any]


class Refused(Exception):
    """A command was refused; nothing was saved."""


class InvalidInput(Refused, ValueError):
    pass


class CurrencyMismatch(Refused, ValueError):
    pass


class NotPermitted(Refused, PermissionError):
    pass


class InvalidTransition(Refused):
    pass


class PaymentError(Refused):
    pass


class ConcurrencyError(Refused):
    pass


class IdempotencyConflict(Refused):
    pass


class DuplicateOrder(Refused):
    pass


# -- money -------------------------------------------------------------------------------

MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "JPY": 0, "KWD": 3}
QUANTUM = {currency: Decimal(1).scaleb(-digits) for currency, digits in MINOR_UNITS.items()}
ZERO = Decimal(0)


def to_amount(value: object, currency: object, what: str) -> Decimal:
    """An exact amount in ``currency``, quantized to its minor unit (ROUND_HALF_EVEN)."""
    quantum = QUANTUM.get(currency) if isinstance(currency, str) else None
    if quantum is None:
        raise InvalidInput(f"{what}: unknown currency {currency!r}")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise InvalidInput(f"{what}: amount must be a str, int or Decimal, got {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidInput(f"{what}: {value!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidInput(f"{what}: amount must be finite, got {value!r}")
    exact = amount.quantize(quantum, ROUND_HALF_EVEN)
    if abs(exact.scaleb(MINOR_UNITS[str(currency)])) > MAX_MINOR:
        raise InvalidInput(f"{what}: beyond the largest amount stored")
    return exact


def money_in(raw: Mapping[str, Any], currency: str, what: str) -> Decimal:
    """A ``{"amount": ..., "currency": ...}`` value checked against the order's currency."""
    amount = to_amount(raw["amount"], raw["currency"], what)
    if raw["currency"] != currency:
        raise CurrencyMismatch(f"{what}: {amount} {raw['currency']} is not in {currency}")
    if amount < 0:
        raise InvalidInput(f"{what}: amount must not be negative, got {amount}")
    return amount


def fmt(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"


# -- input checks ------------------------------------------------------------------------

ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
LIMITS = {"id": 128, "order id": 100, "key": 255, "name": 255, "email": 320, "locale": 35}
NOTE_LIMIT, TAG_LIMIT, TAGS, LINES, QUANTITY = 5_000, 40, 250, 1_000, 1_000_000
MAX_MINOR = 10**15
EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, tzinfo=timezone.utc)


def checked(value: object, kind: str, what: str, *, multiline: bool = False) -> str:
    """A string within its kind's length, without the characters its field refuses."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what}: must be a str, got {type(value).__name__}")
    limit = NOTE_LIMIT if multiline else LIMITS[kind]
    if len(value) > limit or (MULTI_LINE if multiline else ONE_LINE).search(value):
        raise InvalidInput(f"{what}: too long or holds a character it refuses")
    return value


def text(raw: Mapping[str, Any], field: str, what: str, kind: str = "name") -> str:
    return checked(raw[field], kind, f"{what} {field}")


def optional_text(raw: Mapping[str, Any], field: str, what: str, kind: str = "name") -> str | None:
    value = raw.get(field)
    return None if value is None else checked(value, kind, f"{what} {field}")


def flag(raw: Mapping[str, Any], field: str, default: bool, what: str) -> bool:
    value = raw.get(field, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{what}: {field!r} must be a bool")
    return value


def aware(value: object, what: str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidInput(f"{what}: expected a time-zone aware time, got {value!r}")
    if not EARLIEST < moment < LATEST:
        raise InvalidInput(f"{what}: too near the ends of the calendar")
    return moment


def customer_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": text(raw, "id", "customer", "id"),
        "name": text(raw, "name", "customer"),
        "email": optional_text(raw, "email", "customer", "email"),
        "phone": optional_text(raw, "phone", "customer"),
        "locale": text({"locale": raw.get("locale", "en")}, "locale", "customer", "locale"),
    }


ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country_code")
ADDRESS_OPTIONAL = ("line2", "province", "company", "phone")


def address_of(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    address: dict[str, Any] = {field: text(raw, field, "address") for field in ADDRESS_FIELDS}
    address.update({field: optional_text(raw, field, "address") for field in ADDRESS_OPTIONAL})
    return address


def line_of(raw: Mapping[str, Any], currency: str) -> dict[str, Any]:
    quantity = raw["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= QUANTITY:
        raise InvalidInput(f"line item quantity must be an int from 1 to {QUANTITY}")
    return {
        "id": text(raw, "id", "line item", "id"),
        "title": text(raw, "title", "line item"),
        "quantity": quantity,
        "unit_price": money_in(raw["unit_price"], currency, "line item unit price"),
        "sku": optional_text(raw, "sku", "line item"),
        "requires_shipping": flag(raw, "requires_shipping", True, "line item"),
        "gift_card": flag(raw, "gift_card", False, "line item"),
        "requires_manual_review": flag(raw, "requires_manual_review", False, "line item"),
    }


def order_from_checkout(
    checkout: Mapping[str, Any], *, order_id: str, number: int, now: datetime
) -> Order:
    """A new open, active order; an inconsistent checkout is refused whole."""
    currency = text(checkout, "currency", "checkout")
    if currency not in MINOR_UNITS:
        raise InvalidInput(f"checkout: unknown currency {currency!r}")
    lines = [line_of(raw, currency) for raw in checkout["line_items"]]
    if not lines or len(lines) > LINES:
        raise InvalidInput(f"checkout: an order needs 1 to {LINES} line items")
    ids = [line["id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise DuplicateOrder(f"checkout: two line items share an id ({sorted(ids)})")
    tags = checkout.get("tags", ())
    if len(tags) > TAGS or not all(
        len(checked(tag, "name", "tag")) <= TAG_LIMIT and "," not in tag for tag in tags
    ):
        raise InvalidInput("checkout: tags must be strings of at most 40 characters, no comma")
    order: Order = {
        "id": order_id,
        "number": number,
        "currency": currency,
        "customer": customer_of(checkout["customer"]),
        "line_items": lines,
        "placed_at": now,
        "external_checkout_id": optional_text(checkout, "external_checkout_id", "checkout", "key"),
        "shipping_address": address_of(checkout.get("shipping_address")),
        "billing_address": address_of(checkout.get("billing_address")),
        "shipping_lines": [
            {
                "title": text(s, "title", "shipping"),
                "price": money_in(s["price"], currency, "shipping"),
            }
            for s in checkout.get("shipping_lines", ())
        ],
        "discounts": [
            {
                "code": text(d, "code", "discount"),
                "amount": money_in(d["amount"], currency, "discount"),
            }
            for d in checkout.get("discounts", ())
        ],
        "tax_lines": [
            {
                "title": text(t, "title", "tax"),
                "rate": Decimal(text(t, "rate", "tax")),
                "amount": money_in(t["amount"], currency, "tax"),
            }
            for t in checkout.get("tax_lines", ())
        ],
        "taxes_included": flag(checkout, "taxes_included", False, "checkout"),
        "note": checked(checkout.get("note", ""), "note", "checkout note", multiline=True),
        "tags": frozenset(tags),
        "transactions": [],
        "timeline": [],
        "status": "open",
        "archive_status": "active",
        "cancelled_at": None,
        "archived_at": None,
        "version": 0,
    }
    if total(order) < 0:
        raise InvalidInput(f"order {order_id}: discounts exceed the goods and shipping")
    checked(order_id, "order id", "order id")
    return order


# -- derived figures ---------------------------------------------------------------------


def total(order: Order) -> Decimal:
    """What the customer agreed to pay at checkout."""
    amount = sum((line["unit_price"] * line["quantity"] for line in order["line_items"]), ZERO)
    amount += sum((s["price"] for s in order["shipping_lines"]), ZERO)
    amount -= sum((d["amount"] for d in order["discounts"]), ZERO)
    if not order["taxes_included"]:
        amount += sum((t["amount"] for t in order["tax_lines"]), ZERO)
    return amount.quantize(QUANTUM[order["currency"]], ROUND_HALF_EVEN)


def current_total(order: Order) -> Decimal:
    if order["status"] == "cancelled":
        return ZERO
    adjusted = (
        tx["adjustment"]
        for tx in order["transactions"]
        if tx["adjustment"] and tx["status"] == "succeeded"
    )
    return total(order) - sum(adjusted, ZERO)


def captured(order: Order) -> Decimal:
    return sum(
        (
            tx["amount"]
            for tx in order["transactions"]
            if tx["kind"] in ("capture", "sale") and tx["status"] == "succeeded"
        ),
        ZERO,
    )


def refunded(order: Order) -> Decimal:
    return sum(
        (
            tx["amount"]
            for tx in order["transactions"]
            if tx["kind"] == "refund" and tx["status"] == "succeeded"
        ),
        ZERO,
    )


def balance(order: Order) -> Decimal:
    """Positive: owed by the customer; negative: a refund is due."""
    return current_total(order) - (captured(order) - refunded(order))


def still_to_capture(order: Order, but: str | None = None) -> Decimal:
    """Current total - net paid - captures in flight (but ``but``), never below zero."""
    pending = sum(
        (
            tx["amount"]
            for tx in order["transactions"]
            if tx["kind"] in ("capture", "sale") and tx["status"] == "pending" and tx["id"] != but
        ),
        ZERO,
    )
    return max(balance(order) - pending, ZERO)


def open_authorizations(order: Order) -> list[Transaction]:
    return [
        tx
        for tx in order["transactions"]
        if tx["kind"] == "authorization" and tx["status"] == "authorized"
    ]


def financial_status(order: Order) -> str:
    """Shopify's financial status, from the facts (first rule that matches)."""
    taken, returned = captured(order), refunded(order)
    if returned > 0:
        return "refunded" if returned >= taken else "partially_refunded"
    if taken > 0:
        return "paid" if taken >= total(order) else "partially_paid"
    if total(order) == 0:
        return "paid"
    if open_authorizations(order):
        return "authorized"
    ended = {
        tx["status"]
        for tx in order["transactions"]
        if tx["kind"] == "authorization" and tx["status"] in ("voided", "expired")
    }
    if ended:
        return "voided" if "voided" in ended else "expired"
    return "pending"


def pending_child(order: Order, parent: Transaction) -> Transaction | None:
    transactions: list[Transaction] = order["transactions"]
    for tx in transactions:
        if tx["parent_id"] == parent["id"] and tx["status"] == "pending" and tx["kind"] != "refund":
            return tx
    return None


def next_due_at(order: Order) -> datetime | None:
    """When an open authorization with nothing in flight lapses."""
    times = [
        tx["expires_at"]
        for tx in open_authorizations(order)
        if tx["expires_at"] is not None and pending_child(order, tx) is None
    ]
    return min(times, default=None)


def transaction(order: Order, transaction_id: str) -> Transaction:
    transactions: list[Transaction] = order["transactions"]
    for tx in transactions:
        if tx["id"] == transaction_id:
            return tx
    raise PaymentError(f"order {order['id']} has no transaction {transaction_id!r}")


# -- lifecycles ----------------------------------------------------------------------------

AUTHORIZATION_MOVES = {
    ("pending", "authorize"): "authorized",
    ("pending", "fail"): "failed",
    ("authorized", "capture"): "captured",
    ("authorized", "void"): "voided",
    ("authorized", "expire"): "expired",
}
PAYMENT_MOVES = {("pending", "succeed"): "succeeded", ("pending", "fail"): "failed"}
ARCHIVE_MOVES = {("active", "archive"): "archived", ("archived", "unarchive"): "active"}


def step(moves: Mapping[tuple[str, str], str], state: str, event: str, subject: str) -> str:
    try:
        return moves[(state, event)]
    except KeyError:
        raise InvalidTransition(f"{subject}: cannot {event} while {state}") from None


def moved(tx: Transaction, event: str, now: datetime, **facts: Any) -> Transaction:
    """A copy of ``tx`` after ``event``, checked against its lifecycle."""
    moves = AUTHORIZATION_MOVES if tx["kind"] == "authorization" else PAYMENT_MOVES
    status = step(moves, tx["status"], event, f"transaction {tx['id']}")
    return {**tx, "status": status, "processed_at": now, **facts}


def with_transaction(transactions: list[Transaction], tx: Transaction) -> list[Transaction]:
    """The list with ``tx`` replacing the transaction with its id, or appended."""
    replaced = [tx if t["id"] == tx["id"] else t for t in transactions]
    return replaced if any(t is tx for t in replaced) else [*transactions, tx]


def entry(now: datetime, actor: Actor, kind: str, message: str) -> dict[str, Any]:
    return {"at": now, "actor": actor, "kind": kind, "message": message, "note": None}


# -- actors and permissions ------------------------------------------------------------------

ACTOR_KINDS = frozenset({"staff", "system", "customer", "app"})
LIMITED = {
    "app": frozenset({"place", "record_payment", "settle_payment"}),
    "customer": frozenset({"place"}),
}
STAFF: Actor = {"kind": "staff", "id": "staff-1", "name": "Camille"}
GATEWAY: Actor = {"kind": "app", "id": "gateway", "name": "Payment gateway"}
SYSTEM: Actor = {"kind": "system", "id": "orderflow", "name": "orderflow"}


def authorize(actor: Actor, command: str) -> None:
    if not isinstance(actor, dict) or actor.get("kind") not in ACTOR_KINDS:
        raise TypeError(f"not an actor: {actor!r}")
    allowed = LIMITED.get(actor["kind"])
    if allowed is not None and command not in allowed:
        raise NotPermitted(f"{actor_label(actor)} may not {command}")


def actor_label(actor: Actor) -> str:
    return f"{actor['kind']} {actor['name'] or actor['id']}"


# -- the outside world -----------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.current


class FakeGateway:
    """Answers once per idempotency key; ``effects`` lists the money movements that happened."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.effects: list[tuple[str, dict[str, Any]]] = []
        self._results: dict[str, Result] = {}
        self._references = itertools.count(1)

    def call(self, operation: str, request: dict[str, Any]) -> Result:
        self.calls.append((operation, request))
        key = request["idempotency_key"]
        if key in self._results:
            return self._results[key]
        self.effects.append((operation, request))
        result = {
            "succeeded": True,
            "reference": f"gw_{operation}_{next(self._references)}",
            "error": None,
            "reusable": True,
        }
        self._results[key] = result
        return result


# -- the store: orders, indexes, idempotency records, outbox ---------------------------------


class Store:
    """Orders and what is saved with them, one lock per write (as a transaction)."""

    def __init__(self, first_number: int = 1001) -> None:
        self.lock = threading.RLock()
        self.orders: dict[str, Order] = {}
        self.by_number: dict[int, str] = {}
        self.by_checkout: dict[str, str] = {}
        self.due: dict[str, datetime] = {}
        self.idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        self.outbox: dict[str, Delivery] = {}
        self.numbers = itertools.count(first_number)

    def get(self, order_id: str) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise Refused(f"no order with id {order_id!r}") from None

    def next_number(self) -> int:
        with self.lock:
            number = next(self.numbers)
            while number in self.by_number:
                number = next(self.numbers)
            return number

    def add(self, order: Order) -> None:
        with self.lock:
            if order["id"] in self.orders or order["number"] in self.by_number:
                raise DuplicateOrder(f"order {order['id']} #{order['number']} already exists")
            checkout = order["external_checkout_id"]
            if checkout is not None and checkout in self.by_checkout:
                raise DuplicateOrder(f"checkout {checkout!r} already placed an order")
            self.by_number[order["number"]] = order["id"]
            if checkout is not None:
                self.by_checkout[checkout] = order["id"]
            self._write(order, (), None)

    def save(
        self,
        order: Order,
        *,
        expected_version: int,
        outbox: tuple[dict[str, Any], ...] = (),
        idempotency: dict[str, Any] | None = None,
    ) -> None:
        with self.lock:
            stored = self.get(order["id"])
            if stored["version"] != expected_version:
                raise ConcurrencyError(
                    f"order {order['id']} is at version {stored['version']}, "
                    f"expected {expected_version}: reload it and decide again"
                )
            keys = [item["key"] for item in outbox]
            if any(key in self.outbox for key in keys) or len(set(keys)) != len(keys):
                raise DuplicateOrder(f"outbox keys already queued: {keys}")
            self._write(order, outbox, idempotency)

    def _write(
        self, order: Order, outbox: tuple[dict[str, Any], ...], idempotency: dict[str, Any] | None
    ) -> None:
        self.orders[order["id"]] = order
        due = next_due_at(order)
        if due is None:
            self.due.pop(order["id"], None)
        else:
            self.due[order["id"]] = due
        for item in outbox:
            self.outbox[item["key"]] = {
                "item": item,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": item["created_at"],
                "lease_until": None,
                "last_error": None,
                "delivered_at": None,
            }
        if idempotency is not None:
            self.idempotency[(idempotency["source"], idempotency["key"])] = idempotency

    def claim(self, now: datetime, *, limit: int, lease: timedelta) -> list[Delivery]:
        with self.lock:
            due = [
                d
                for d in self.outbox.values()
                if d["state"] == "pending"
                and d["next_attempt_at"] <= now
                and (d["lease_until"] is None or d["lease_until"] <= now)
            ]
            due.sort(
                key=lambda d: (d["next_attempt_at"], d["item"]["created_at"], d["item"]["key"])
            )
            claimed = due[:limit]
            for delivery in claimed:
                delivery["attempts"] += 1
                delivery["lease_until"] = now + lease
            return claimed


# -- the service -------------------------------------------------------------------------------

IDEMPOTENCY_RETENTION = timedelta(days=30)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def request_hash(command: str, order_id: str, payload: object) -> str:
    body = json.dumps([command, order_id, payload], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


class Shop:
    """One method per command: load, check permission, decide on a copy, save with a version
    check; outside calls only from :meth:`dispatch`, after the save."""

    def __init__(self) -> None:
        self.store = Store()
        self.gateway = FakeGateway()
        self.clock = FakeClock()
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"id-{next(self._ids)}"

    def place(self, checkout: Mapping[str, Any], *, actor: Actor) -> Order:
        authorize(actor, "place")
        checkout_id = checkout.get("external_checkout_id")
        if checkout_id is not None and checkout_id in self.store.by_checkout:
            return self.store.orders[self.store.by_checkout[checkout_id]]
        now = self.clock.now()
        number = self.store.next_number()
        order = order_from_checkout(checkout, order_id=self.new_id(), number=number, now=now)
        message = f"Order #{number} placed for {fmt(total(order), order['currency'])}."
        order["timeline"] = [entry(now, actor, "OrderPlaced", message)]
        order["version"] = 1
        self.store.add(order)
        return order

    def record_payment(
        self, order_id: str, webhook: Mapping[str, Any], *, idempotency_key: str, actor: Actor
    ) -> Order:
        """Record an authorization or sale reported by the checkout, once per key; the same
        operation (kind and reference) under another key changes nothing."""
        checked(order_id, "order id", "order id")
        checked(idempotency_key, "key", "idempotency key")
        tx_id = self.new_id()
        kind = webhook["kind"]
        if kind not in ("authorization", "sale"):
            raise InvalidInput(
                f"webhook: the baseline records authorizations and sales, not {kind!r}"
            )
        currency = text(webhook, "currency", "webhook")
        amount = to_amount(webhook["amount"], currency, "webhook")
        succeeded = flag(webhook, "succeeded", True, "webhook")
        reference = webhook.get("reference")  # the gateway's, stored whole
        if reference is not None and not isinstance(reference, str):
            raise InvalidInput("webhook: reference must be a str")
        reusable = flag(webhook, "reusable", False, "webhook")
        error = optional_text(webhook, "error", "webhook")
        expires = webhook.get("expires_at")
        expires_at = None if expires is None else aware(expires, "webhook expires_at")
        payload = {
            "kind": kind,
            "amount": {"amount": str(amount), "currency": currency},
            "succeeded": succeeded,
            "reference": reference,
            "parent_reference": None,
            "reusable": reusable,
            "error": error,
            "expires_at": None if expires_at is None else expires_at.isoformat(),
            "multi_capture": False,
            "request_key": None,
        }
        digest = request_hash("record_payment", order_id, payload)
        found = self.store.idempotency.get(("payment", idempotency_key))
        if found is not None and found["expires_at"] > self.clock.now():
            if found["request_hash"] != digest or found["order_id"] != order_id:
                raise IdempotencyConflict(
                    f"idempotency key {idempotency_key!r} was used for another request"
                )
            replayed = self.store.get(found["order_id"])
            authorize(actor, "record_payment")
            return replayed
        order = self.store.get(order_id)
        authorize(actor, "record_payment")
        now = self.clock.now()
        if reference is not None and any(
            tx["kind"] == kind and tx["reference"] == reference for tx in order["transactions"]
        ):
            return order  # the same operation, reported again
        if currency != order["currency"]:
            raise CurrencyMismatch(
                f"order {order_id}: payment in {currency}, not {order['currency']}"
            )
        if amount <= 0:
            raise InvalidInput(f"order {order_id}: a payment amount must be positive")
        tx: Transaction = {
            "id": tx_id,
            "kind": kind,
            "amount": amount,
            "status": "pending",
            "idempotency_key": idempotency_key,
            "created_at": now,
            "parent_id": None,
            "reference": reference,
            "reusable": reusable,
            "error": None,
            "expires_at": expires_at,
            "processed_at": None,
            "adjustment": None,
        }
        money = fmt(amount, currency)
        if not succeeded:
            tx = moved(tx, "fail", now, error=error or "declined")
            kind_name = "PaymentFailed"
            message = f"{kind.capitalize()} of {money} failed: {tx['error']}."
        elif kind == "authorization":
            tx = moved(tx, "authorize", now)
            kind_name, message = "PaymentAuthorized", f"Payment of {money} authorized."
        else:
            tx = moved(tx, "succeed", now)
            kind_name, message = "PaymentCaptured", f"Payment of {money} captured."
        after = {
            **order,
            "transactions": [*order["transactions"], tx],
            "timeline": [*order["timeline"], entry(now, actor, kind_name, message)],
            "version": order["version"] + 1,
        }
        record = {
            "source": "payment",
            "key": idempotency_key,
            "request_hash": digest,
            "order_id": order_id,
            "created_at": now,
            "expires_at": now + IDEMPOTENCY_RETENTION,
        }
        self.store.save(after, expected_version=order["version"], idempotency=record)
        return after

    def capture(self, order_id: str, *, actor: Actor) -> Order:
        """Decide to capture what is owed, up to the first open authorization: an intent."""
        order = self.store.get(order_id)
        authorize(actor, "capture")
        now = self.clock.now()
        if order["status"] == "cancelled":
            raise InvalidTransition(f"order {order_id}: cannot capture a payment while cancelled")
        auths = sorted(open_authorizations(order), key=lambda a: a["expires_at"] or LATEST)
        if not auths:
            raise PaymentError(f"order {order_id}: nothing to capture (no open authorization)")
        auth = auths[0]  # the one that expires soonest
        busy = pending_child(order, auth)
        if busy is not None:
            raise PaymentError(
                f"order {order_id}: {auth['id']} already has {busy['id']} in progress"
            )
        owed = still_to_capture(order)
        if owed <= 0:
            raise PaymentError(f"order {order_id}: nothing to capture (balance {owed})")
        amount = min(owed, auth["amount"])
        if amount <= 0 or amount > auth["amount"]:
            raise PaymentError(f"order {order_id}: cannot capture {amount} from {auth['id']}")
        tx_id = self.new_id()
        key = f"orderflow-capture-{tx_id}"  # the key scheme of the model this mirrors
        tx: Transaction = {
            "id": tx_id,
            "kind": "capture",
            "amount": amount,
            "status": "pending",
            "idempotency_key": key,
            "created_at": now,
            "parent_id": auth["id"],
            "reference": None,
            "reusable": auth["reusable"],
            "error": None,
            "expires_at": None,
            "processed_at": None,
            "adjustment": None,
        }
        message = f"Capture of {fmt(amount, order['currency'])} requested from the gateway."
        after = {
            **order,
            "transactions": [*order["transactions"], tx],
            "timeline": [*order["timeline"], entry(now, actor, "PaymentRequested", message)],
            "version": order["version"] + 1,
        }
        item = {
            "key": key,
            "order_id": order_id,
            "topic": "payment",
            "payload": json.dumps({"transaction_id": tx_id}),
            "created_at": now,
        }
        self.store.save(after, expected_version=order["version"], outbox=(item,))
        return after

    def settle_payment(
        self, order_id: str, transaction_id: str, result: Result, *, actor: Actor
    ) -> Order:
        """Record the gateway's answer to one of our requests."""
        order = self.store.get(order_id)
        authorize(actor, "settle_payment")
        now = self.clock.now()
        tx = transaction(order, transaction_id)
        if result["succeeded"] is None:
            return order
        if tx["status"] != "pending":
            return order  # the same answer again (a contradiction would go to review)
        facts: dict[str, Any] = {"reference": result["reference"] or tx["reference"]}
        if result["reusable"]:
            facts["reusable"] = True
        money = fmt(tx["amount"], order["currency"])
        if not result["succeeded"]:
            done = moved(tx, "fail", now, error=result["error"] or "declined", **facts)
            transactions = with_transaction(order["transactions"], done)
            kind_name = "PaymentFailed"
            message = f"{tx['kind'].capitalize()} of {money} failed: {done['error']}."
        elif tx["kind"] == "capture":
            done = moved(tx, "succeed", now, **facts)
            transactions = with_transaction(order["transactions"], done)
            parent = transaction(order, done["parent_id"])
            transactions = with_transaction(transactions, moved(parent, "capture", now))
            kind_name, message = "PaymentCaptured", f"Payment of {money} captured."
        else:
            raise InvalidInput(f"the baseline settles captures only, not a {tx['kind']}")
        after = {
            **order,
            "transactions": transactions,
            "timeline": [*order["timeline"], entry(now, actor, kind_name, message)],
            "version": order["version"] + 1,
        }
        self.store.save(after, expected_version=order["version"])
        return after

    def dispatch(self, *, limit: int = 100) -> dict[str, int]:
        """Carry out due outbox items: call the gateway with each item's key, record the answer."""
        now = self.clock.now()
        counts = {"delivered": 0, "failed": 0, "dead": 0}
        for delivery in self.store.claim(now, limit=limit, lease=LEASE):
            try:
                self._carry_out(delivery)
            except Exception as exc:  # kept in the outbox, retried with backoff, then dead
                delivery["lease_until"] = None
                delivery["last_error"] = f"{type(exc).__name__}: {exc}"
                if delivery["attempts"] >= MAX_ATTEMPTS:
                    delivery["state"] = "dead"
                    counts["dead"] += 1
                else:
                    delay = timedelta(seconds=30) * 2 ** (delivery["attempts"] - 1)
                    delivery["next_attempt_at"] = now + min(delay, timedelta(hours=6))
                    counts["failed"] += 1
                continue
            delivery.update(state="delivered", lease_until=None, delivered_at=self.clock.now())
            counts["delivered"] += 1
        return counts

    def _carry_out(self, delivery: Mapping[str, Any]) -> None:
        item = delivery["item"]
        if item["topic"] != "payment":
            raise LookupError(f"no runner for outbox topic {item['topic']!r}")
        order = self.store.get(item["order_id"])
        tx = transaction(order, json.loads(item["payload"])["transaction_id"])
        if tx["status"] != "pending":
            return  # settled already
        parent = transaction(order, tx["parent_id"]) if tx["parent_id"] else None
        if delivery["attempts"] <= 1 and (  # never sent: do the books still allow it?
            tx["amount"] > still_to_capture(order, but=tx["id"])
            or parent is None
            or parent["status"] != "authorized"
        ):
            raise PaymentError(f"order {order['id']}: the books no longer allow {tx['id']}")
        request = {
            "order_id": order["id"],
            "transaction_id": tx["id"],
            "amount": tx["amount"],
            "currency": order["currency"],
            "idempotency_key": tx["idempotency_key"],
            "reference": parent["reference"] if parent else None,
        }
        result = self.gateway.call(tx["kind"], request)
        self._retrying(lambda: self.settle_payment(order["id"], tx["id"], result, actor=SYSTEM))

    def _retrying(self, command: Callable[[], Order], attempts: int = 3) -> Order:
        for _ in range(attempts - 1):
            try:
                return command()
            except ConcurrencyError:
                continue
        return command()

    def archive(self, order_id: str, *, actor: Actor) -> Order:
        order = self.store.get(order_id)
        authorize(actor, "archive")
        now = self.clock.now()
        status = step(ARCHIVE_MOVES, order["archive_status"], "archive", f"order {order_id}")
        after = {
            **order,
            "archive_status": status,
            "archived_at": now,
            "timeline": [*order["timeline"], entry(now, actor, "OrderArchived", "Order archived.")],
            "version": order["version"] + 1,
        }
        self.store.save(after, expected_version=order["version"])
        return after


def summary(order: Order) -> dict[str, Any]:
    """What the lifecycle left on an order, in a shape both programs can produce."""
    return {
        "id": order["id"],
        "name": f"#{order['number']}",
        "version": order["version"],
        "status": order["status"],
        "archive_status": order["archive_status"],
        "financial_status": financial_status(order),
        "balance": fmt(balance(order), order["currency"]),
        "transactions": [
            (
                tx["id"],
                tx["kind"],
                tx["status"],
                fmt(tx["amount"], order["currency"]),
                tx["idempotency_key"],
                tx["reference"],
                tx["parent_id"],
            )
            for tx in order["transactions"]
        ],
        "timeline": [
            (e["at"].isoformat(), actor_label(e["actor"]), e["kind"], e["message"])
            for e in order["timeline"]
        ],
    }

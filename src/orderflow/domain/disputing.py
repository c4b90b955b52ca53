"""Recording what the gateway reports of disputes, and the order's dispute status.

A dispute is opened against one of the order's captures or sales (found by the gateway's
reference), which puts the order on staff review: the staff answer the bank through the
gateway, with evidence the host keeps. Later reports move it along its machine; a report
that comes late (under review after won, say) changes nothing, one that contradicts a
decision already reported (lost after won) goes to staff review. A chargeback lost counts
as money returned (:mod:`orderflow.domain.ledger`) and lowers what the order is worth by as
much, so the balance stays as it was.
"""

from __future__ import annotations

from datetime import datetime

from orderflow.domain import ledger
from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.dispute import Dispute, DisputeReport
from orderflow.domain.events import DisputeOpened, DisputeUpdated
from orderflow.domain.machines import DISPUTE_TABLE, DisputeStatus
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import NewId, in_currency
from orderflow.domain.review import request_review

_STEPS: dict[DisputeStatus, str] = {
    "under_review": "submit_evidence",
    "won": "win",
    "lost": "lose",
}
"""The machine's event that reaches each status a report may give."""
_RANK: dict[DisputeStatus, int] = {"needs_response": 0, "under_review": 1, "won": 2, "lost": 2}
"""How far along each status is: a report of an earlier one is late news."""


def record_dispute(
    order: Order, report: DisputeReport, *, new_id: NewId, now: datetime, actor: Actor
) -> Change:
    """Record what the gateway reports of dispute ``report.id`` (see the module)."""
    if not isinstance(report, DisputeReport):
        raise TypeError(f"'report' must be a DisputeReport, got {type(report).__name__}")
    in_currency(order, report.amount)
    known = next((d for d in order.disputes if d.id == report.id), None)
    if known is not None:
        return _moved(order, known, report, new_id=new_id, now=now, actor=actor)
    payment = next(
        (
            tx
            for tx in order.transactions
            if tx.kind in ledger.TAKEN and tx.succeeded and tx.reference == report.payment_reference
        ),
        None,
    )
    what = f"{report.kind.value} {report.id} of {report.amount}"
    if payment is None:
        reason = (
            f"{what} names payment {report.payment_reference!r}, which is no capture or sale "
            "of the order: ask the gateway which order it disputes"
        )
        return request_review(order, reason, new_id=new_id, now=now, actor=actor)
    dispute = Dispute(
        id=report.id,
        transaction_id=payment.id,
        kind=report.kind,
        status="needs_response",
        amount=report.amount,
        opened_at=now,
        reason=report.reason,
        evidence_due_by=report.evidence_due_by,
    )
    opened = DisputeOpened(
        order_id=order.id,
        at=now,
        actor=actor,
        dispute_id=dispute.id,
        transaction_id=payment.id,
        kind=dispute.kind.value,
        amount=dispute.amount,
        reason=dispute.reason,
        evidence_due_by=dispute.evidence_due_by,
    )
    due = f" by {dispute.evidence_due_by:%Y-%m-%d %H:%M} UTC" if dispute.evidence_due_by else ""
    review = (
        f"{what} opened on payment {payment.id} ({dispute.reason or 'no reason given'}): "
        f"answer the bank through the gateway{due}"
    )
    change = Change(revised(order, disputes=(*order.disputes, dispute)), (opened,))
    change = change.then(request_review(change.order, review, new_id=new_id, now=now, actor=actor))
    if report.status == "needs_response":
        return change
    return change.then(_moved(change.order, dispute, report, new_id=new_id, now=now, actor=actor))


def _moved(
    order: Order,
    dispute: Dispute,
    report: DisputeReport,
    *,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    if _RANK[report.status] < _RANK[dispute.status] or report.status == dispute.status:
        return Change(order)  # news older than what is known, or the same
    event = _STEPS[report.status]
    if event not in DISPUTE_TABLE.allowed_events(dispute.status):  # won, then lost, or back
        reason = (
            f"the gateway reports {dispute.kind.value} {dispute.id} {report.status.replace('_', ' ')} "
            f"after it reported it {dispute.status}: ask the gateway which is right"
        )
        return request_review(order, reason, new_id=new_id, now=now, actor=actor)
    status = DISPUTE_TABLE.step(dispute.status, event, subject=f"{order} dispute {dispute.id}")
    facts: dict[str, object] = {"status": status, "kind": report.kind}  # an inquiry may escalate
    if status in ("won", "lost"):
        facts["closed_at"] = now
    moved = revised(dispute, **facts)
    if moved.returned:
        moved = revised(moved, adjustment=_lowering(order, moved))
    changed = revised(
        order, disputes=tuple(moved if d.id == dispute.id else d for d in order.disputes)
    )
    update = DisputeUpdated(
        order_id=order.id,
        at=now,
        actor=actor,
        dispute_id=moved.id,
        kind=moved.kind.value,
        status=moved.status,
        amount=moved.amount,
    )
    change = Change(changed, (update,))
    if moved.returned:
        reason = (
            f"{moved.kind.value} {moved.id} lost: {moved.amount} of payment "
            f"{moved.transaction_id} went back to the customer; decide about the goods"
        )
        change = change.then(request_review(changed, reason, new_id=new_id, now=now, actor=actor))
    return change


def _lowering(order: Order, dispute: Dispute) -> Money:
    """What a chargeback just lost lowers the order by: what it returns of its payment
    beyond what refunds and other lost chargebacks already returned of it."""
    payment = order.transaction(dispute.transaction_id)
    others = [d.amount for d in order.disputes if d.returned and d.id != dispute.id]
    back = Money.total([ledger.refunds_of(order, payment), *others], order.currency)
    left = max(payment.amount - back, Money.zero(order.currency))
    return min(dispute.amount, left)


def dispute_status(order: Order) -> DisputeStatus | None:
    """The order's disputes at a glance, as the admin shows them: ``needs_response`` while
    one waits for an answer, else ``under_review`` while one is with the bank, else
    ``lost`` if a chargeback was lost, else ``won``; ``None`` without disputes."""
    found = {d.status for d in order.disputes}
    for status in ("needs_response", "under_review", "lost", "won"):
        if status in found:
            return status
    return None

"""Messages staff ask for by hand: a template sent now, or an earlier message again.

The domain records the request on the timeline; the service renders or copies the
message and saves it in the outbox with the order.
"""

from __future__ import annotations

from datetime import datetime

from orderflow.domain.actor import Actor
from orderflow.domain.events import MessageRequested
from orderflow.domain.limits import NOTE, check_optional
from orderflow.domain.order import Change, Order


def request_message(
    order: Order,
    template: str,
    *,
    audience: str,
    channel: str,
    to: str | None = None,
    note: str | None = None,
    fulfillment_id: str | None = None,
    resend_of: str | None = None,
    now: datetime,
    actor: Actor,
) -> Change:
    """Ask for ``template`` to go to ``audience`` by ``channel`` (about a fulfillment, when
    the template speaks of one); allowed in every state, archived and cancelled included.
    Staff's ``note`` follows the note rule (it is on the timeline and in the message)."""
    check_optional(NOTE, note, "'note'")
    if fulfillment_id is not None:
        order.fulfillment(fulfillment_id)  # raises FulfillmentNotFound
    event = MessageRequested(
        order_id=order.id,
        at=now,
        actor=actor,
        template=template,
        audience=audience,
        channel=channel,
        to=to,
        note=note,
        fulfillment_id=fulfillment_id,
        resend_of=resend_of,
    )
    return Change(order, (event,))

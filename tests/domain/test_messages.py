"""Messages staff ask for by hand: the request is recorded on the timeline, its note checked."""

from __future__ import annotations

import pytest

from orderflow import InvalidText
from orderflow.domain.messages import request_message
from orderflow.testing import EPOCH, STAFF, make_order


def test_a_message_by_hand_is_recorded_with_staffs_note() -> None:
    change = request_message(
        make_order(),
        "order_confirmation",
        audience="customer",
        channel="email",
        note="Your parcel leaves on Monday.\nThank you!",
        now=EPOCH,
        actor=STAFF,
    )

    (event,) = change.events
    assert (event.template, event.note) == (
        "order_confirmation",
        "Your parcel leaves on Monday.\nThank you!",
    )


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("n" * 5_001, "'note' is 5,001 characters long; the limit is 5,000"),
        ("hello\x00", "'note' holds a NUL character at position 5"),
        ("\udc00", "'note' holds a lone surrogate \\(U\\+DC00\\) at position 0"),
    ],
)
def test_a_note_for_a_message_by_hand_that_no_note_may_hold_is_refused(
    note: str, message: str
) -> None:
    with pytest.raises(InvalidText, match=message):
        request_message(
            make_order(),
            "order_confirmation",
            audience="customer",
            channel="email",
            note=note,
            now=EPOCH,
            actor=STAFF,
        )

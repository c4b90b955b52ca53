"""The command line: a demo that tells two orders' stories, and the lifecycle diagrams."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

from orderflow.cli import main


def _run(*argv: str) -> tuple[int, str]:
    out = StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def _line_with(text: str, output: str) -> str:
    (line,) = [line for line in output.splitlines() if text in line]
    return line


def test_the_demo_exits_cleanly_and_prints_both_timelines() -> None:
    code, output = _run("demo")

    assert code == 0
    assert "Timeline of #1001" in output
    assert "Timeline of #1002" in output


def test_the_demo_first_order_is_captured_once_for_its_whole_total() -> None:
    # 2 x 12.50 (mugs) + 30.00 (print) + 15.00 shipping + 7.00 tax = 77.00 EUR
    _, output = _run("demo")

    assert "Order #1001 placed for 77.00 EUR." in output
    assert output.count("Payment of 77.00 EUR authorized.") == 1  # the replayed webhook adds none
    captured = _line_with("Payment of 77.00 EUR captured.", output)
    assert captured.split()[:4] == ["2026-01-05", "11:01", "system", "orderflow"]
    # 3 published events and 3 messages (staff email and SMS, confirmation) go; the capture fails
    assert "dispatch: 6 delivered, 1 failed (GatewayUnavailable: gateway unreachable" in output
    assert "retry: 1 delivered; gateway effects: 1" in output


def test_the_demo_refunds_one_mug_ships_the_print_cancels_the_other_mug_and_archives() -> None:
    # 77.00 captured. The 7.00 tax splits 2500 : 3000 : 1500 (mugs, print, shipping) into
    # 2.50, 3.00, 1.50 exactly; one mug of two: 12.50 + 1.25 = 13.75 back, and its unit
    # leaves the fulfillment order for stock. The print ships; the other mug, all that has
    # not shipped, is cancelled: 13.75 back again. Nothing owed, nothing due back.
    _, output = _run("demo")

    assert (
        "1 item refunded (out of stock, to restock): 13.75 EUR to return.  "
        "[The last mug chipped in the warehouse]"
    ) in output
    assert output.count("Refund of 13.75 EUR succeeded.") == 2
    assert output.count("restocked at default: 1 x mug") == 2
    assert (
        "1 item not shipped cancelled and restocked (out of stock): 13.75 EUR to return.  "
        "[No more mugs this season.]"
    ) in output
    assert "items_cancelled        email to ada@example.com" in output
    assert "Tags added gift." in output
    assert "Note updated.  [Wrap the print separately.]" in output
    assert (
        "== Print shipped, the other mug cancelled (restocked), archived: #1001  "
        "partially_refunded, balance 0.00 EUR, open/archived"
    ) in output


def test_the_demo_second_order_is_cancelled_and_its_authorization_voided() -> None:
    # make_draft(): 2 x 20.00 + 15.00 shipping + 7.00 tax = 62.00 EUR
    _, output = _run("demo")

    assert "Order #1002 placed for 62.00 EUR." in output
    assert "Order cancelled (reason: inventory).  [Out of stock]" in output
    assert "Authorization of 62.00 EUR voided." in output
    assert "#1002  voided, balance 0.00 EUR, cancelled/active" in output


def test_the_demo_counts_the_events_it_published() -> None:
    # Delivered by its five dispatches: 3 (placed, authorized, capture requested); then
    # the capture alone; then 7 (captured, tagged, noted; the mug split off, its
    # fulfillment order cancelled, the refund created, its money requested); then 7
    # (refunded, the print fulfilled; the other mug split off, its fulfillment order
    # cancelled, the lines cancelled, the order fulfilled, the refund requested); then 7
    # (refunded, archived, #1002 placed, authorized, cancelled, its fulfillment order
    # cancelled, void requested). The voided event is still queued.
    _, output = _run("demo")

    assert "\n24 events published to the host.\n" in output


def test_diagram_prints_one_mermaid_state_diagram_per_machine() -> None:
    code, output = _run("diagram")

    assert code == 0
    assert output.count("stateDiagram-v2") == 8
    for name in (
        "PaymentLifecycle",
        "AuthorizationLifecycle",
        "OrderLifecycle",
        "ArchiveLifecycle",
        "FulfillmentOrderLifecycle",
        "ServiceRequestLifecycle",
        "LabelLifecycle",
        "DisputeLifecycle",
    ):
        assert f"%% {name}\nstateDiagram-v2" in output
    assert "open --> cancelled : Cancel" in output
    assert "archived --> active : Unarchive" in output


def test_python_dash_m_orderflow_runs_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orderflow", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Timeline of #1002" in done.stdout


def test_the_demo_takes_a_mixed_order_from_checkout_to_the_archive() -> None:
    _, output = _run("demo")
    story = output.split("four fulfillment orders", 1)[1].split("Messages the store sent", 1)[0]

    # 25.00 gift card + 3 x 12.50 mugs + 40.00 pre-order + 18.00 tote = 120.50,
    # + 15.00 shipping + 7.00 tax from make_draft = 142.50 EUR.
    assert "Order #1001 placed for 142.50 EUR." in story
    assert "system orderflow           Capture of 142.50 EUR requested from the gateway." in story
    assert (
        "Fulfillment order id-1-fo5 held (inventory out of stock).  [1 mug back in stock Friday]"
        in story
    )
    assert "2 items fulfilled (tracking 6A123)." in story
    assert "shipment id-6: delivered" in story
    assert "1 item picked up by the customer." in story
    assert "Fulfillment order id-1-fo3 is open for fulfilling." in story
    assert story.rstrip().endswith("system orderflow           Order archived.")
    assert "#1001  paid / fulfilled / archived" in story


def test_the_demo_ships_one_order_through_a_fulfillment_service_and_one_with_a_label() -> None:
    _, output = _run("demo")
    story = output.split("== Paid, so automation asked shipfast", 1)[1]

    assert (
        "system orderflow           Fulfillment of 2 items requested from shipfast (id-1-fo1)."
        in story
    )
    # The service's acceptance was delivered twice: one timeline entry.
    assert story.count("shipfast accepted the fulfillment request for id-1-fo1.") == 1
    assert "found by tracking XY123: #1001, fulfilled, shipment delivered" in story
    assert "#1002: shipped by the merchant with a La Poste label, tracking FAKE0001" in story


def test_the_demo_prints_the_messages_the_store_sent_in_order() -> None:
    _, output = _run("demo")
    mixed = output.split("four fulfillment orders", 1)[1].split("== Paid, so automation", 1)[0]
    messages = mixed.split("Messages the store sent, in order\n", 1)[1].splitlines()

    # placed; 2 mugs shipped and tracked to the door; the tote ready then collected; the
    # held mug and the pre-order each shipped later (the gift card is digital: no parcel)
    assert [line.split()[:3] for line in messages if line] == [
        ["new_order", "email", "to"],
        ["new_order", "sms", "to"],
        ["order_confirmation", "email", "to"],
        ["shipping_confirmation", "email", "to"],
        ["out_for_delivery", "email", "to"],
        ["delivered", "email", "to"],
        ["ready_for_pickup", "email", "to"],
        ["picked_up", "email", "to"],
        ["shipping_confirmation", "email", "to"],
        ["shipping_confirmation", "email", "to"],
    ]
    assert "new_order              sms   to +33600000001" in output
    assert "Subject: Order #1002 cancelled" in output  # the console notifier's full message

"""The repository's part of the contract: add, get and save, numbers and lookups, queries
and pages, due times, idempotency records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from orderflow.domain.dispute import Dispute, DisputeKind
from orderflow.domain.fulfillment import Fulfillment, ServiceRequest, Tracking
from orderflow.domain.limits import EARLIEST, LATEST
from orderflow.domain.order import Order
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import (
    ConcurrencyError,
    DuplicateOrder,
    InvalidText,
    InvalidTimestamp,
    OrderflowError,
    OrderNotFound,
)
from orderflow.ports.repository import OrderQuery, OrderStore, ReferenceKind
from orderflow.testing import make_customer
from orderflow.testing.contract.reloading import ReloadingContract
from orderflow.testing.contract.support import (
    T0,
    UNSTORABLE,
    ContractBase,
    all_pages,
    held_until,
    ids,
    item,
    new_order,
    record,
    shipped,
    transaction,
)


class RepositoryContract(ReloadingContract, ContractBase):
    """Orders, lookups, queries and idempotency records (``OrderRepository``), and what a
    store hands back after other writers (:class:`ReloadingContract`)."""

    # -- add, get, save ------------------------------------------------------------------------

    def test_an_added_order_is_returned_by_get(self, store: OrderStore) -> None:
        order = new_order("ord-1", 1001)

        store.add(order)

        assert store.get("ord-1") == order

    def test_getting_an_unknown_order_raises_order_not_found_naming_it(
        self, store: OrderStore
    ) -> None:
        with pytest.raises(OrderNotFound, match="'ord-missing'"):
            store.get("ord-missing")

    def test_a_save_at_the_expected_version_replaces_the_order(self, store: OrderStore) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        changed = attrs.evolve(order, note="Fragile", version=2)

        store.save(changed, expected_version=1)

        assert store.get("ord-1") == changed

    def test_a_save_at_a_stale_version_raises_concurrency_error_and_keeps_the_newer_order(
        self, store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        newer = attrs.evolve(order, note="theirs", version=2)
        store.save(newer, expected_version=1)

        with pytest.raises(ConcurrencyError, match=r"stored version 2, expected 1"):
            store.save(attrs.evolve(order, note="mine", version=2), expected_version=1)

        assert store.get("ord-1") == newer

    def test_saving_an_order_never_added_raises_order_not_found(self, store: OrderStore) -> None:
        with pytest.raises(OrderNotFound, match="'ord-1'"):
            store.save(new_order("ord-1", 1001), expected_version=0)

    @pytest.mark.parametrize(
        ("duplicate", "message"),
        [
            (new_order("ord-1", 2002), "id 'ord-1'"),
            (new_order("ord-2", 1001), "#1001"),
            (new_order("ord-2", 2002, checkout="chk-1"), "checkout 'chk-1'"),
        ],
        ids=["same id", "same number", "same checkout"],
    )
    def test_adding_an_order_whose_id_number_or_checkout_is_taken_raises_duplicate_order(
        self, store: OrderStore, duplicate: Order, message: str
    ) -> None:
        first = new_order("ord-1", 1001, checkout="chk-1")
        store.add(first)

        with pytest.raises(DuplicateOrder, match=message):
            store.add(duplicate, outbox=[item("job-1", duplicate.id)])

        assert store.get("ord-1") == first
        assert store.by_number(2002) is None
        assert store.deliveries(duplicate.id) == []

    def test_a_stale_save_writes_neither_the_order_nor_its_outbox_items_nor_its_record(
        self, store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        store.save(attrs.evolve(order, version=2), expected_version=1)

        with pytest.raises(ConcurrencyError):
            store.save(
                attrs.evolve(order, note="mine", version=2),
                expected_version=1,
                outbox=[item("job-1")],
                idempotency=record("evt-1", expires_at=T0 + timedelta(days=30)),
            )

        assert store.get("ord-1").note == ""
        assert store.deliveries("ord-1") == []
        assert store.idempotency_record("payment", "evt-1") is None

    def test_a_save_writes_the_order_its_outbox_items_and_its_record_together(
        self, store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        saved_record = record("evt-1", expires_at=T0 + timedelta(days=30))

        store.save(
            attrs.evolve(order, note="Fragile", version=2),
            expected_version=1,
            outbox=[item("job-1"), item("job-2")],
            idempotency=saved_record,
        )

        assert store.get("ord-1").note == "Fragile"
        assert [d.item.key for d in store.deliveries("ord-1")] == ["job-1", "job-2"]
        assert store.idempotency_record("payment", "evt-1") == saved_record

    def test_a_save_with_an_outbox_key_already_queued_is_refused_whole(
        self, store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order, outbox=[item("job-1")])

        with pytest.raises(OrderflowError, match="job-1"):
            store.save(
                attrs.evolve(order, note="mine", version=2),
                expected_version=1,
                outbox=[item("job-2"), item("job-1")],
            )

        assert store.get("ord-1") == order
        assert [d.item.key for d in store.deliveries("ord-1")] == ["job-1"]

    # -- numbers and lookups ---------------------------------------------------------------------

    def test_next_number_counts_from_1001_and_never_repeats(self, store: OrderStore) -> None:
        numbers = [store.next_number() for _ in range(3)]

        assert numbers == [1001, 1002, 1003]

    def test_next_number_never_hands_out_a_number_already_stored(self, store: OrderStore) -> None:
        store.add(new_order("ord-1", 1002))

        numbers = [store.next_number() for _ in range(3)]

        assert numbers == [1001, 1003, 1004]

    def test_orders_are_found_by_number_and_by_checkout_id(self, store: OrderStore) -> None:
        order = new_order("ord-1", 1001, checkout="chk-1")
        store.add(order)

        assert store.by_number(1001) == order
        assert store.by_checkout_id("chk-1") == order
        assert store.by_number(1002) is None
        assert store.by_checkout_id("chk-2") is None

    def test_the_longest_strings_the_input_rules_accept_are_stored_and_found_by(
        self, store: OrderStore
    ) -> None:
        order_id, checkout, tracking, tag, key = (
            "o" * 100,
            "c" * 255,
            "Z" * 255,
            "t" * 40,
            "k" * 255,
        )
        email = "İ" * 320  # lower-cased it is 640 characters: "İ".lower() is i and a dot
        order = attrs.evolve(
            shipped(order_id, 1001, tracking=tracking),
            external_checkout_id=checkout,
            customer=make_customer(email=email),
            tags=frozenset({tag}),
        )
        kept = record(key, order_id, expires_at=T0 + timedelta(days=1))

        store.add(order, outbox=[item(key, order_id)], idempotency=kept)

        assert store.get(order_id) == order
        assert store.by_checkout_id(checkout) == order
        assert store.by_reference("tracking_number", tracking) == order
        assert ids(store.query(OrderQuery(customer_email=email)).orders) == [order_id]
        assert ids(store.query(OrderQuery(tag=tag)).orders) == [order_id]
        assert [d.item.key for d in store.deliveries(order_id)] == [key]
        assert store.idempotency_record("payment", key) == kept

    # -- queries ---------------------------------------------------------------------------------

    @pytest.fixture
    def catalogue(self, store: OrderStore) -> OrderStore:
        """Five orders an hour apart, #1001 oldest, each with one trait the filters look for."""
        sold = (transaction(TransactionKind.SALE, "succeeded"),)
        orders = [
            new_order("ord-1", 1001, placed_at=T0, tags=frozenset({"vip"})),
            new_order(
                "ord-2",
                1002,
                placed_at=T0 + timedelta(hours=1),
                customer=make_customer(name="Grace Hopper", email="Grace@Example.com"),
            ),
            new_order("ord-3", 1003, placed_at=T0 + timedelta(hours=2), transactions=sold),
            new_order("ord-4", 1004, placed_at=T0 + timedelta(hours=3), status="cancelled"),
            new_order(
                "ord-5",
                1005,
                placed_at=T0 + timedelta(hours=4),
                archive_status="archived",
                archived_at=T0 + timedelta(hours=4),
                note="Call before delivery",
            ),
        ]
        for order in orders:
            store.add(order)
        return store

    def test_a_query_lists_working_orders_newest_first_by_default(
        self,
        catalogue: OrderStore,
    ) -> None:
        page = catalogue.query(OrderQuery())

        assert ids(page.orders) == ["ord-4", "ord-3", "ord-2", "ord-1"]
        assert page.next_cursor is None

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (OrderQuery(archived=True), ["ord-5"]),
            (OrderQuery(archived=None), ["ord-5", "ord-4", "ord-3", "ord-2", "ord-1"]),
            (OrderQuery(status="cancelled"), ["ord-4"]),
            (OrderQuery(status="open"), ["ord-3", "ord-2", "ord-1"]),
            (OrderQuery(financial_status="paid"), ["ord-3"]),
            (OrderQuery(financial_status="pending"), ["ord-4", "ord-2", "ord-1"]),
            (OrderQuery(customer_email="grace@example.COM"), ["ord-2"]),
            (OrderQuery(tag="vip"), ["ord-1"]),
            (OrderQuery(text="#1003"), ["ord-3"]),
            (OrderQuery(text="grace hopper"), ["ord-2"]),
            (OrderQuery(text="GRACE@EXAMPLE"), ["ord-2"]),
            (OrderQuery(text="call before", archived=None), ["ord-5"]),
            (OrderQuery(placed_from=T0 + timedelta(hours=1)), ["ord-4", "ord-3", "ord-2"]),
            (OrderQuery(placed_before=T0 + timedelta(hours=1)), ["ord-1"]),
            (
                OrderQuery(
                    placed_from=T0 + timedelta(hours=1), placed_before=T0 + timedelta(hours=3)
                ),
                ["ord-3", "ord-2"],
            ),
        ],
        ids=[
            "archived only",
            "archived or not",
            "cancelled",
            "open",
            "paid",
            "pending payment",
            "email in any case",
            "tag",
            "text: number",
            "text: customer name",
            "text: email",
            "text: note",
            "placed from (inclusive)",
            "placed before (exclusive)",
            "date range",
        ],
    )
    def test_query_filters_select_the_matching_orders(
        self, catalogue: OrderStore, query: OrderQuery, expected: list[str]
    ) -> None:
        assert ids(catalogue.query(query).orders) == expected

    def test_pages_follow_each_other_newest_first_with_ties_broken_by_id(
        self, store: OrderStore
    ) -> None:
        same_time = T0 + timedelta(hours=1)
        for order_id, number, placed_at in [
            ("ord-a", 1001, T0),
            ("ord-b", 1002, same_time),
            ("ord-c", 1003, same_time),
            ("ord-d", 1004, same_time),
            ("ord-e", 1005, T0 + timedelta(hours=2)),
        ]:
            store.add(new_order(order_id, number, placed_at=placed_at))

        pages = all_pages(store, limit=2)

        assert pages == [["ord-e", "ord-d"], ["ord-c", "ord-b"], ["ord-a"]]

    def test_a_page_that_ends_exactly_at_the_last_order_has_no_next_cursor(
        self, store: OrderStore
    ) -> None:
        for n in (1, 2):
            store.add(new_order(f"ord-{n}", 1000 + n, placed_at=T0 + timedelta(hours=n)))

        page = store.query(OrderQuery(limit=2))

        assert ids(page.orders) == ["ord-2", "ord-1"]
        assert page.next_cursor is None

    def test_an_order_placed_between_two_pages_neither_repeats_nor_hides_the_others(
        self, store: OrderStore
    ) -> None:
        for n in (1, 2, 3, 4):
            store.add(new_order(f"ord-{n}", 1000 + n, placed_at=T0 + timedelta(hours=n)))
        first = store.query(OrderQuery(limit=2))

        store.add(new_order("ord-new", 1005, placed_at=T0 + timedelta(hours=5)))
        second = store.query(OrderQuery(limit=2, after=first.next_cursor))

        assert ids(first.orders) == ["ord-4", "ord-3"]
        assert ids(second.orders) == ["ord-2", "ord-1"]
        assert second.next_cursor is None

    def test_stream_yields_every_order_newest_first_across_batches(self, store: OrderStore) -> None:
        for n in (1, 2, 3, 4, 5):
            store.add(new_order(f"ord-{n}", 1000 + n, placed_at=T0 + timedelta(hours=n)))

        assert ids(store.stream(batch=2)) == ["ord-5", "ord-4", "ord-3", "ord-2", "ord-1"]
        query = OrderQuery(placed_before=T0 + timedelta(hours=4), limit=1)
        assert ids(store.stream(query, batch=2)) == ["ord-3", "ord-2", "ord-1"]

    # -- due times -------------------------------------------------------------------------------

    def test_due_before_lists_the_orders_due_by_then_earliest_first(
        self, store: OrderStore
    ) -> None:
        for order_id, number, hours in [("ord-1", 1001, 3), ("ord-2", 1002, 1), ("ord-3", 1003, 2)]:
            transactions = held_until(T0 + timedelta(hours=hours))
            store.add(new_order(order_id, number, transactions=transactions))
        store.add(new_order("ord-4", 1004))  # nothing scheduled

        assert store.due_before(T0) == []
        assert store.due_before(T0 + timedelta(hours=2)) == ["ord-2", "ord-3"]
        assert store.due_before(T0 + timedelta(hours=5)) == ["ord-2", "ord-3", "ord-1"]
        assert store.due_before(T0 + timedelta(hours=5), limit=1) == ["ord-2"]

    def test_an_order_is_no_longer_due_once_saved_without_a_deadline(
        self, store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001, transactions=held_until(T0 + timedelta(hours=1)))
        store.add(order)
        expired = (transaction(TransactionKind.AUTHORIZATION, "expired"),)

        store.save(attrs.evolve(order, transactions=expired, version=2), expected_version=1)

        assert store.due_before(T0 + timedelta(days=1)) == []

    # -- idempotency records ---------------------------------------------------------------------

    def test_purging_forgets_only_the_records_expired_by_then(self, store: OrderStore) -> None:
        order = new_order("ord-1", 1001)
        store.add(order, idempotency=record("evt-1", expires_at=T0 + timedelta(days=1)))
        kept = record("evt-2", expires_at=T0 + timedelta(days=2))
        store.save(attrs.evolve(order, version=2), expected_version=1, idempotency=kept)

        assert store.purge_idempotency(T0 + timedelta(days=1)) == 1

        assert store.idempotency_record("payment", "evt-1") is None
        assert store.idempotency_record("payment", "evt-2") == kept
        assert store.purge_idempotency(T0 + timedelta(days=1)) == 0

    def test_a_key_whose_record_still_holds_refuses_the_save_whole(self, store: OrderStore) -> None:
        # Two requests with one key raced: the one that saves second did not see the record.
        order = new_order("ord-1", 1001)
        first = record("evt-1", expires_at=T0 + timedelta(days=1))
        store.add(order, idempotency=first)

        with pytest.raises(ConcurrencyError, match="'evt-1'"):
            store.save(
                attrs.evolve(order, note="again", version=2),
                expected_version=1,
                outbox=[item("job-1")],
                idempotency=record("evt-1", expires_at=T0 + timedelta(days=2)),
            )

        assert store.get("ord-1") == order
        assert store.deliveries("ord-1") == []
        assert store.idempotency_record("payment", "evt-1") == first

    def test_a_key_whose_record_expired_is_free_for_a_new_request(self, store: OrderStore) -> None:
        order = new_order("ord-1", 1001)
        store.add(order, idempotency=record("evt-1", expires_at=T0 + timedelta(days=1)))
        later = attrs.evolve(
            record("evt-1", expires_at=T0 + timedelta(days=31)),
            created_at=T0 + timedelta(days=1),
            request_hash="other",
        )

        store.save(attrs.evolve(order, version=2), expected_version=1, idempotency=later)

        assert store.idempotency_record("payment", "evt-1") == later

    def test_a_query_selects_orders_by_fulfillment_status(self, store: OrderStore) -> None:
        waiting = new_order("ord-1", 1001)
        placed = new_order("ord-2", 1002, placed_at=T0 + timedelta(hours=1))
        (fo,) = placed.fulfillment_orders
        shipped = attrs.evolve(
            placed,
            fulfillment_orders=(attrs.evolve(fo, status="closed"),),
            fulfillments=(
                Fulfillment(id="f-1", fulfillment_order_id=fo.id, lines=fo.lines, created_at=T0),
            ),
        )
        store.add(waiting)
        store.add(shipped)

        assert ids(store.query(OrderQuery(fulfillment_status="unfulfilled")).orders) == ["ord-1"]
        assert ids(store.query(OrderQuery(fulfillment_status="fulfilled")).orders) == ["ord-2"]
        assert store.query(OrderQuery(fulfillment_status="on_hold")).orders == ()

    def test_an_order_is_found_by_each_outside_reference_it_carries(
        self, store: OrderStore
    ) -> None:
        placed = new_order("ord-1", 1001)
        (fo,) = placed.fulfillment_orders
        sold = attrs.evolve(transaction(TransactionKind.SALE, "succeeded"), reference="gw-9")
        shipped = attrs.evolve(
            placed,
            fulfillment_orders=(
                attrs.evolve(
                    fo,
                    request=ServiceRequest(
                        id="req-1", service="shipfast", status="accepted", submitted_at=T0
                    ),
                ),
            ),
            fulfillments=(
                Fulfillment(
                    id="f-1",
                    fulfillment_order_id=fo.id,
                    lines=fo.lines,
                    created_at=T0,
                    tracking=Tracking(numbers=("1Z1", "1Z2")),
                ),
            ),
            transactions=(sold,),
            disputes=(
                Dispute(
                    id="dp-1",
                    transaction_id=sold.id,
                    kind=DisputeKind.CHARGEBACK,
                    status="needs_response",
                    amount=sold.amount,
                    opened_at=T0,
                ),
            ),
        )
        store.add(shipped)

        found = [
            store.by_reference("fulfillment_order", fo.id),
            store.by_reference("service_request", "req-1"),
            store.by_reference("tracking_number", "1Z1"),
            store.by_reference("tracking_number", "1Z2"),
            store.by_reference("gateway_reference", "gw-9"),
            store.by_reference("dispute", "dp-1"),
        ]
        assert [order.id if order else None for order in found] == ["ord-1"] * 6
        assert store.by_reference("tracking_number", "nope") is None

    def test_a_reference_the_order_no_longer_carries_finds_nothing(self, store: OrderStore) -> None:
        placed = new_order("ord-1", 1001)
        (fo,) = placed.fulfillment_orders
        requested = attrs.evolve(
            placed,
            fulfillment_orders=(
                attrs.evolve(
                    fo, request=ServiceRequest(id="req-1", service="shipfast", submitted_at=T0)
                ),
            ),
        )
        store.add(requested)
        resubmitted = attrs.evolve(
            requested,
            version=2,
            fulfillment_orders=(
                attrs.evolve(
                    fo, request=ServiceRequest(id="req-2", service="shipfast", submitted_at=T0)
                ),
            ),
        )

        store.save(resubmitted, expected_version=1)

        assert store.by_reference("service_request", "req-1") is None
        assert store.by_reference("service_request", "req-2") == resubmitted

    def test_a_tracking_number_two_orders_share_finds_the_one_saved_last(
        self, store: OrderStore
    ) -> None:
        first, _ = _sharing_a_tracking_number(store)

        found = store.by_reference("tracking_number", "1Z9")
        assert found is not None
        assert found.id == "ord-2"

        store.save(attrs.evolve(first, note="Resent", version=2), expected_version=1)

        found = store.by_reference("tracking_number", "1Z9")
        assert found is not None
        assert found.id == "ord-1"

    def test_saves_that_keep_a_shared_tracking_number_find_whichever_was_saved_last(
        self, store: OrderStore
    ) -> None:
        first, second = _sharing_a_tracking_number(store)

        for version, saved in [(2, first), (2, second), (3, first), (3, second)]:
            note = f"saved at version {version}"
            store.save(
                attrs.evolve(saved, note=note, version=version), expected_version=version - 1
            )
            found = store.by_reference("tracking_number", "1Z9")
            assert found is not None
            assert (found.id, found.note) == (saved.id, note)

    def test_a_save_that_keeps_the_references_finds_the_order_by_each_of_them(
        self, store: OrderStore
    ) -> None:
        order = attrs.evolve(
            shipped("ord-1", 1001, tracking="1Z1"),
            transactions=(
                attrs.evolve(transaction(TransactionKind.SALE, "succeeded"), reference="gw-9"),
            ),
            tags=frozenset({"vip"}),
        )
        store.add(order)

        for version in (2, 3):
            store.save(
                attrs.evolve(order, note="Resent", version=version), expected_version=version - 1
            )

            found = [
                store.by_reference("fulfillment_order", order.fulfillment_orders[0].id),
                store.by_reference("tracking_number", "1Z1"),
                store.by_reference("gateway_reference", "gw-9"),
            ]
            assert [(o.id, o.version) if o else None for o in found] == [("ord-1", version)] * 3
            assert ids(store.query(OrderQuery(tag="vip")).orders) == ["ord-1"]

    def test_the_query_columns_follow_a_save_that_changes_the_customer_e_mail(
        self, store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        moved = attrs.evolve(order, customer=make_customer(email="Grace@Example.com"), version=2)

        store.save(moved, expected_version=1)

        assert ids(store.query(OrderQuery(customer_email="ada@example.com")).orders) == []
        assert ids(store.query(OrderQuery(customer_email="grace@example.com")).orders) == ["ord-1"]

    def test_a_query_by_tag_follows_the_tags_of_the_saved_order(self, store: OrderStore) -> None:
        order = new_order("ord-1", 1001, tags=frozenset({"vip"}))
        store.add(order)

        store.save(attrs.evolve(order, tags=frozenset({"gift"}), version=2), expected_version=1)

        assert ids(store.query(OrderQuery(tag="vip")).orders) == []
        assert ids(store.query(OrderQuery(tag="gift")).orders) == ["ord-1"]

    # -- what a caller may pass that no column holds ---------------------------------------------

    @pytest.mark.parametrize("value", UNSTORABLE.values(), ids=list(UNSTORABLE))
    def test_looking_up_a_string_no_store_could_hold_finds_nothing(
        self, store: OrderStore, value: str
    ) -> None:
        order = new_order("ord-1", 1001, checkout="chk-1", tags=frozenset({"vip"}))
        store.add(order, idempotency=record("evt-1", expires_at=T0 + timedelta(days=1)))
        kinds: tuple[ReferenceKind, ...] = (
            "fulfillment_order",
            "service_request",
            "tracking_number",
            "gateway_reference",
            "dispute",
        )

        with pytest.raises(OrderNotFound):
            store.get(value)
        assert store.by_checkout_id(value) is None
        assert [store.by_reference(kind, value) for kind in kinds] == [None] * 5
        assert store.idempotency_record("payment", value) is None
        assert store.idempotency_record(value, "evt-1") is None
        # the input rules refuse such a query before any store sees it
        with pytest.raises(InvalidText):
            OrderQuery(text=value)
        with pytest.raises(InvalidText):
            OrderQuery(tag=value)
        with pytest.raises(InvalidText):
            OrderQuery(customer_email=value)
        assert store.get("ord-1") == order  # and the store still works

    @pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**40])
    def test_an_order_number_beyond_64_bits_finds_nothing(
        self, store: OrderStore, number: int
    ) -> None:
        store.add(new_order("ord-1", 1001))

        assert store.by_number(number) is None

    @pytest.mark.parametrize(
        "reference",
        ["r" * 255, "r" * 256, "r" * 100_000, "ch_\x00_1", "ch_\ud800_1", "sha256:" + "0" * 64],
        ids=["255 characters", "256", "100,000", "NUL", "lone surrogate", "digest-like"],
    )
    def test_an_order_is_found_by_a_gateway_reference_of_any_length_and_characters(
        self, store: OrderStore, reference: str
    ) -> None:
        sold = attrs.evolve(transaction(TransactionKind.SALE, "succeeded"), reference=reference)
        order = new_order("ord-1", 1001, transactions=(sold,))
        store.add(order)
        store.add(new_order("ord-2", 1002))

        assert store.by_reference("gateway_reference", reference) == order
        assert store.by_reference("gateway_reference", reference[:-1]) is None
        assert store.by_reference("gateway_reference", reference + "1") is None

    @pytest.mark.parametrize(
        "cursor",
        [
            "not a cursor",
            "2026-01-05T09:00:00+00:00|ord\x00",
            "2026-01-05T09:00:00+00:00|ord-\ud800",
            "2026-01-05T09:00:00+00:00|" + "o" * 101,
            "2026-01-05T09:00:00|ord-1",
            "9999-12-31T23:00:00-05:00|ord-1",
        ],
        ids=["garbage", "NUL", "lone surrogate", "id too long", "naive time", "past year 9999"],
    )
    def test_a_cursor_no_listing_handed_out_is_refused_with_value_error(
        self, store: OrderStore, cursor: str
    ) -> None:
        store.add(new_order("ord-1", 1001))

        with pytest.raises(ValueError, match="cursor"):
            store.query(OrderQuery(after=cursor))

    def test_times_at_the_ends_of_the_calendar_select_as_any_other_time(
        self, catalogue: OrderStore
    ) -> None:
        last = datetime.max.replace(tzinfo=timezone(timedelta(hours=-12)))  # after every order
        first = datetime.min.replace(tzinfo=timezone(timedelta(hours=14)))  # before every order
        working = ["ord-4", "ord-3", "ord-2", "ord-1"]
        late, early = LATEST - timedelta(days=1), EARLIEST + timedelta(days=1)

        for edge in (last, first):  # the input rules refuse them before any store sees them
            with pytest.raises(InvalidTimestamp):
                OrderQuery(placed_from=edge)
        assert ids(catalogue.query(OrderQuery(placed_from=late)).orders) == []
        assert ids(catalogue.query(OrderQuery(placed_before=early)).orders) == []
        assert ids(catalogue.query(OrderQuery(placed_from=early)).orders) == working
        assert ids(catalogue.query(OrderQuery(placed_before=late)).orders) == working
        catalogue.add(new_order("ord-6", 1006, transactions=held_until(T0 + timedelta(hours=1))))
        assert catalogue.due_before(first) == []
        assert catalogue.due_before(last) == ["ord-6"]


def _sharing_a_tracking_number(store: OrderStore) -> tuple[Order, Order]:
    """Two orders shipped under tracking number 1Z9, added to ``store`` in turn."""
    first = shipped("ord-1", 1001, tracking="1Z9")
    second = shipped("ord-2", 1002, tracking="1Z9")
    store.add(first)
    store.add(second)
    return first, second

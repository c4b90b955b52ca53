"""The quick loaders (``serialization._quick``): what they inline (tuples, enums, times and
money remembered, the shared values), the two ways they read an object's keys, and the
consistency check every loaded order meets. The committed benchmark documents give them
varied orders to read."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orderflow import serialization
from orderflow.domain.fulfillment import DeliveryMethod
from orderflow.domain.order import Order, check_consistency
from orderflow.errors import DocumentError
from orderflow.serialization import from_document, loads, upgrade

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "orders.jsonl.gz"


def documents(count: int = 2000) -> list[dict[str, Any]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line, _ in zip(lines, range(count), strict=False)]


class Refusing:
    def structure(self, *_: object) -> None:
        raise AssertionError("the detailed converter was used")


def quickly(document: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Order:
    """``document`` loaded by the quick loaders alone."""
    with monkeypatch.context() as patch:
        patch.setattr(serialization, "converter", Refusing())
        return from_document(document)


def test_the_quick_loaders_build_what_the_detailed_converter_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for document in documents(400):
        detailed = check_consistency(serialization.converter.structure(upgrade(document), Order))
        assert quickly(copy.deepcopy(document), monkeypatch) == detailed


def test_a_document_loaded_twice_shares_its_times_and_money() -> None:
    text = json.dumps(documents(1)[0])
    first, second = loads(text), loads(text)
    assert first == second
    assert first.placed_at is second.placed_at
    assert first.line_items[0].unit_price is second.line_items[0].unit_price


def test_a_time_remembered_by_its_text_keeps_each_texts_offset() -> None:
    document = documents(1)[0]
    utc = loads(json.dumps(document)).placed_at
    shifted = (utc + timedelta(hours=1)).isoformat().replace("+00:00", "+01:00")
    assert datetime.fromisoformat(shifted) == utc  # the same instant, written another way
    document["placed_at"] = shifted
    again = loads(json.dumps(document)).placed_at
    assert again == utc
    assert again.utcoffset() == timedelta(hours=1)


def test_the_times_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = serialization._quick.get_structure_hook(datetime)
    monkeypatch.setattr(serialization, "_TIMES_MAX", 3)
    hook.seen.clear()
    for document in documents(5):
        order = loads(json.dumps(document))
        assert len(hook.seen) <= 3
        assert order.placed_at == datetime.fromisoformat(document["placed_at"])
    assert all(type(text) is str for text in hook.seen)


@pytest.mark.parametrize("wrong", [5, 5.0, True, ["2026-01-05T09:00:00+00:00"], {}, None, ""])
def test_a_time_of_another_type_is_refused_and_never_remembered(wrong: object) -> None:
    hook = serialization._quick.get_structure_hook(datetime)
    document = documents(1)[0]
    document["placed_at"] = wrong
    with pytest.raises(DocumentError, match="placed_at"):
        from_document(document)
    assert all(type(text) is str for text in hook.seen)


def test_an_object_of_as_many_keys_as_fields_with_an_unknown_one_is_refused() -> None:
    document = documents(1)[0]
    for replaced in ("locale", "name"):  # a field with a default, and one without
        edited = copy.deepcopy(document)
        customer = edited["customer"]
        customer["colour"] = customer.pop(replaced)
        with pytest.raises(DocumentError, match="colour"):
            from_document(edited)


def test_an_object_lacking_keys_takes_their_defaults_without_the_detailed_converter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = documents(1)[0]
    whole = quickly(copy.deepcopy(document), monkeypatch)
    for entry in document["timeline"]:
        assert entry.pop("note") is None
    for fo in document["fulfillment_orders"]:
        assert fo.pop("holds") == []
        assert fo.pop("request") is None
    del document["tags"]
    lacking = quickly(document, monkeypatch)
    assert lacking.timeline == whole.timeline
    assert lacking.fulfillment_orders == whole.fulfillment_orders
    assert lacking.tags == frozenset()


def test_a_tuple_given_as_a_python_tuple_loads_and_one_of_another_shape_is_refused() -> None:
    document = documents(1)[0]
    order = from_document(copy.deepcopy(document))
    as_tuple = copy.deepcopy(document)
    as_tuple["line_items"] = tuple(as_tuple["line_items"])
    assert from_document(as_tuple) == order
    for wrong in ({"0": document["line_items"][0]}, "line-1", 3):
        edited = copy.deepcopy(document)
        edited["line_items"] = wrong
        with pytest.raises(DocumentError, match="line_items"):
            from_document(edited)


def test_an_enum_member_in_a_hand_built_document_is_taken_as_its_value() -> None:
    document = documents(1)[0]
    order = from_document(copy.deepcopy(document))
    document["fulfillment_orders"][0]["delivery_method"] = DeliveryMethod(
        document["fulfillment_orders"][0]["delivery_method"]
    )
    assert from_document(document) == order


def test_money_in_another_key_order_loads_and_money_of_another_shape_is_refused() -> None:
    document = documents(1)[0]
    order = from_document(copy.deepcopy(document))
    price = document["line_items"][0]["unit_price"]
    reordered = copy.deepcopy(document)
    reordered["line_items"][0]["unit_price"] = {"currency": price["currency"], **price}
    assert from_document(reordered) == order
    for wrong in ("20.00", [price["amount"], price["currency"]], {**price, "amount": ["1"]}):
        edited = copy.deepcopy(document)
        edited["line_items"][0]["unit_price"] = wrong
        with pytest.raises(DocumentError, match="unit_price"):
            from_document(edited)


def first(test: Any) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in documents() if test(d)))


LABEL = {
    "id": "label-1",
    "carrier": "ups",
    "service_level": "ground",
    "parcel": {"weight_grams": 500, "length_cm": 10, "width_cm": 10, "height_cm": 5},
    "status": "pending",
    "requested_at": "2026-01-05T09:00:00+00:00",
    "tracking_number": None,
    "tracking_url": None,
    "document": None,
    "media_type": None,
    "error": None,
}
REQUEST = {
    "id": "request-1",
    "service": "shipfast",
    "status": "submitted",
    "submitted_at": "2026-01-05T09:00:00+00:00",
    "accepted_at": None,
    "reason": None,
    "message": None,
}


def test_two_fulfillments_with_one_label_id_are_refused() -> None:
    document = first(lambda d: len(d["fulfillments"]) > 1)
    for fulfillment in document["fulfillments"][:2]:
        fulfillment["label"] = dict(LABEL)
    with pytest.raises(DocumentError, match=r"two labels share an id \(label-1\)"):
        from_document(document)


def test_two_fulfillment_orders_with_one_request_id_are_refused() -> None:
    document = first(lambda d: len(d["fulfillment_orders"]) > 1)
    for fo in document["fulfillment_orders"][:2]:
        fo["request"] = dict(REQUEST)
    with pytest.raises(DocumentError, match=r"two service requests share an id \(request-1\)"):
        from_document(document)


def test_the_first_amount_in_another_currency_is_the_one_named() -> None:
    document = first(lambda d: d["shipping_lines"] and d["transactions"])
    document["shipping_lines"][0]["price"]["currency"] = "USD"
    document["transactions"][0]["amount"]["currency"] = "GBP"
    with pytest.raises(DocumentError, match=r"amount .* USD is not in the order's currency"):
        from_document(document)

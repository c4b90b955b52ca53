"""A request's hash is the one earlier releases stored: a replay after an upgrade is still
recognised as the same request, not refused as another one under the same key."""

import hashlib
import json
from datetime import timedelta

from orderflow.domain.fulfillment import ShipmentEvent, ShipmentStatus
from orderflow.serialization import converter
from orderflow.service.flow import _request_hash
from orderflow.testing import EPOCH, authorization, eur


def test_a_request_hash_is_the_sha256_of_its_sorted_json() -> None:
    payloads = [
        authorization(eur("62.00"), "pi_1"),
        ("ful-1", ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=EPOCH + timedelta(hours=1))),
    ]
    for payload in payloads:
        body = json.dumps(
            ["cmd", "ord-1", converter.unstructure(payload)], sort_keys=True, default=str
        )
        assert _request_hash("cmd", "ord-1", payload) == hashlib.sha256(body.encode()).hexdigest()

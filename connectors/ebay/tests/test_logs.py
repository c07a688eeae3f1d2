"""No secret reaches a log line: orderhub's real logging (JSON, redactor included) around
everything the connector does, including its failures."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from orderhub.logs import configure_logging, reset_logging
from orderhub.sdk import RejectedError, ShipmentDraft, ShipmentLine
from orderhub.sims.ebay import SimulatedEbay
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock

from .conftest import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ConnectorFactory


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(level="debug", fmt="json", stream=buffer)
    try:
        yield buffer
    finally:
        reset_logging()


def test_no_credential_or_buyer_detail_in_any_log_line(
    json_log: io.StringIO,
    sqlite_engine: Engine,
    sim: SimulatedEbay,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    ids = sim.generate(30, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    sim.add_malformed_order("no_line_items", created=clock.now() - timedelta(hours=6))
    clock.advance(120)
    connector = make_connector()
    assert PullRunner(sqlite_engine, connector).run().outcome == "succeeded"

    sim.oauth.expire_all()  # a renewal after a 401
    clock.advance(600)
    assert PullRunner(sqlite_engine, connector).run().outcome == "succeeded"
    clock.advance(3 * 3600)  # and one before the expiry
    assert PullRunner(sqlite_engine, connector).run().outcome == "succeeded"

    order = sim.order(next(i for i in ids if sim.order(i)["orderFulfillmentStatus"] != "FULFILLED"))
    line = order["lineItems"][0]
    with pytest.raises(RejectedError):
        connector.push_tracking(
            ShipmentDraft(
                order_external_id=order["orderId"],
                reference="r",
                carrier_code="NoSuchCarrier",
                tracking_number="1Z999",
                shipped_at=clock.now(),
                lines=(ShipmentLine(line["lineItemId"], 1),),
            )
        )
    sim.revoke_refresh_token()
    sim.oauth.expire_all()
    assert PullRunner(sqlite_engine, connector).run().error_kind == "auth"

    text = json_log.getvalue()
    events = [json.loads(line) for line in text.splitlines()]
    names = {event["event"] for event in events}
    assert {"http.request", "sync.started", "sync.failed", "sync.record_quarantined"} <= names
    assert any(r.status == 401 for r in sim.requests), "a renewal after a 401 happened"

    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    secrets: list[str] = [CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, basic]
    secrets += [token.access_token for token in sim.oauth.issued]
    assert len(sim.oauth.issued) >= 3
    for secret in secrets:
        assert secret not in text
    buyers: list[Any] = []
    for order_id in ids:
        ship_to = sim.order(order_id)["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]
        buyers += [ship_to["fullName"], ship_to["email"], ship_to["contactAddress"]["addressLine1"]]
    for detail in buyers:
        assert detail not in text

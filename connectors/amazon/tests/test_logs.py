"""No secret (refresh token, client secret, access token) and no buyer PII in any log line or
error message, through orderhub's real logging, whatever happens on the way."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine

from orderhub.logs import configure_logging, get_redactor, reset_logging
from orderhub.sdk import ConnectorError, ShipmentDraft, ShipmentLine
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault

from .conftest import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, US, ConnectorFactory


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """orderhub's real logging, as JSON lines into a buffer. The account's secrets are not
    registered with the redactor: the connector itself must keep them out."""
    buffer = io.StringIO()
    get_redactor().clear_secrets()
    structlog.contextvars.clear_contextvars()
    configure_logging(level="debug", fmt="json", stream=buffer)
    try:
        yield buffer
    finally:
        reset_logging()
        structlog.contextvars.clear_contextvars()


def test_nothing_secret_or_personal_reaches_the_log(
    json_log: io.StringIO,
    sqlite_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    ids = sim.generate(120, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    sim.add_malformed_order("bad_amount", created=clock.now() - timedelta(hours=3))
    connector = make_connector(include_recipient_address=True)
    messages: list[str] = []

    # A full sync with an expired token on the way, a 429 and a 503.
    PullRunner(sqlite_engine, connector).run()
    sim.expire_tokens()
    sim.faults.add(Fault.status(429), path="/orders/2026-01-01/orders")
    sim.faults.add(Fault.status(503), path="/orders/2026-01-01/orders")
    clock.advance(600)
    PullRunner(sqlite_engine, connector).run()

    # A refused push and an accepted one.
    order = sim.order(ids[-1])
    open_order = sim.add_order(status="UNSHIPPED", items=[("CAP-NAVY", 1)])
    for target, carrier in ((order, "Pony Express"), (open_order, "UPS")):
        draft = ShipmentDraft(
            order_external_id=target["orderId"],
            reference="3",
            carrier_code=carrier,
            tracking_number="1Z999AA10123456784",
            shipped_at=clock.now() - timedelta(hours=1),
            lines=tuple(
                ShipmentLine(item["orderItemId"], item["quantityOrdered"])
                for item in target["orderItems"]
            ),
            marketplace=US,
        )
        try:
            connector.push_tracking(draft)
        except ConnectorError as exc:
            messages += [exc.message, exc.fix]

    # The seller revokes orderhub: the failed run is logged with its reason and fix.
    sim.revoke()
    clock.advance(2 * 3600)
    failed = PullRunner(sqlite_engine, connector).run()
    assert failed.error_kind == "auth"
    messages += [failed.error or "", failed.fix or ""]

    text = json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    events = {line["event"] for line in lines}
    assert {"http.request", "sync.started", "sync.failed", "sync.record_quarantined"} <= events
    assert any(line.get("status") == 429 for line in lines)
    access_tokens = [token.access_token for token in sim.lwa.issued]
    assert len(access_tokens) >= 2
    secrets = [REFRESH_TOKEN, CLIENT_SECRET, CLIENT_ID, *access_tokens]
    recipients = [
        sim.order(order_id)["recipient"]["deliveryAddress"]
        for order_id in ids
        if "recipient" in sim.order(order_id)
    ]
    personal = [a["name"] for a in recipients] + [a["addressLine1"] for a in recipients]
    assert personal, "the sync did read addresses"
    for value in [*secrets, *personal]:
        assert value not in text
        assert all(value not in message for message in messages)
    assert "Atzr|" not in text and "Atza|" not in text


def test_the_token_request_is_not_logged_with_its_form(
    json_log: io.StringIO, sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.check()
    logged: list[dict[str, Any]] = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [line["operation"] for line in logged if line["event"] == "http.request"] == [
        "searchOrders"
    ]
    assert "client_secret" not in json_log.getvalue()

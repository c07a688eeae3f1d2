"""Killing the push between the channel's answer and the record, then restarting, leaves
exactly one shipment on the channel (a real subprocess against a real simulated shop)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import structlog
from sqlalchemy import select

from orderhub.sdk import ConnectorContext, SystemClock
from orderhub.shipping.push import PushRunner
from orderhub.shipping.record import PUSHES, record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.db import make_engine, upgrade
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

TRACKING = "1Z999AA10123456784"

CHILD = textwrap.dedent(
    """
    import os, sys
    from datetime import timedelta
    import structlog
    from orderhub.sdk import ConnectorContext, SystemClock
    from orderhub.shipping.push import PushRunner
    from orderhub.store.db import make_engine
    from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

    url, database = sys.argv[1], sys.argv[2]
    connector = WooCommerceConnector(ConnectorContext(
        account_id="shop",
        settings=WooCommerceSettings(base_url=url, consumer_key="ck_test",
                                     consumer_secret="cs_test"),
        clock=SystemClock(), log=structlog.get_logger()))
    real_push = connector.push_tracking

    def push_then_die(shipment):
        real_push(shipment)  # the shop has the tracking now ...
        os._exit(9)          # ... and the worker dies before recording it

    connector.push_tracking = push_then_die
    PushRunner(make_engine(f"sqlite:///{database}"), connector, worker_id="doomed").run()
    """
)


def connector_for(url: str, clock: SystemClock | FakeClock) -> WooCommerceConnector:
    return WooCommerceConnector(
        ConnectorContext(
            account_id="shop",
            settings=WooCommerceSettings(
                base_url=url, consumer_key="ck_test", consumer_secret="cs_test"
            ),
            clock=clock,
            log=structlog.get_logger(),
        )
    )


def test_a_worker_killed_after_sending_never_causes_a_second_shipment(tmp_path: Path) -> None:
    clock = SystemClock()
    shop = SimulatedWooCommerce(clock, seed=5)
    order = shop.add_order(created=clock.now() - timedelta(hours=3), lines=[("MUG-WHITE", 1)])
    database = tmp_path / "orderhub.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with shop.serve() as server:
        puller = connector_for(server.base_url, clock)
        assert PullRunner(engine, puller).run().outcome == "succeeded"
        with engine.begin() as connection:
            record_shipments(
                connection,
                [ShipmentRequest(order=str(order["id"]), carrier="UPS", tracking=TRACKING)],
                source="test",
                now=clock.now(),
            )

        child = subprocess.run(
            [sys.executable, "-c", CHILD, server.base_url, str(database)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert child.returncode == 9, child.stderr
        notes = [n for n in shop.notes(order["id"]) if TRACKING in n["note"]]
        assert len(notes) == 1, "the shop got the tracking before the worker died"
        with engine.connect() as connection:
            push = connection.execute(select(PUSHES)).one()
        assert push.status == "sent" and push.claimed_by == "doomed"

        # The restarted worker: once the dead worker's lease has run out it takes the row
        # over, and the shop's existing note makes it "already applied", not a second note.
        later = FakeClock(clock.now() + timedelta(minutes=10))
        restarted = connector_for(server.base_url, later)
        result = PushRunner(engine, restarted, worker_id="restarted").run()
        assert result.outcomes == {"already_applied": 1}
        notes = [n for n in shop.notes(order["id"]) if TRACKING in n["note"]]
        assert len(notes) == 1
        with engine.connect() as connection:
            push = connection.execute(select(PUSHES)).one()
        assert push.status == "already_applied" and push.attempts == 2
        puller.close()
        restarted.close()

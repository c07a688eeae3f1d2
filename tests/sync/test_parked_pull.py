"""A pull that would wait long for its token bucket gives its thread back ("waiting") and
goes on from the record where it stopped: the same orders, the same one run, no 429."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from orderhub.sims.amazon import SimulatedAmazon
from orderhub.store.ingest import ORDERS
from orderhub.store.runs import RUNS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.kit import ConnectorBuilder
from orderhub_connectors.amazon import AmazonConnector

CLIENT_ID = "amzn1.application-oa2-client.parked0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.parked0123456789abcdef0123456789"
REFRESH_TOKEN = "Atzr|parked-pull-test-token"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def seller() -> Iterator[tuple[FakeClock, AmazonConnector]]:
    clock = FakeClock(NOW)
    sim = SimulatedAmazon(
        clock,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        seed=3,
        serve_sandbox_examples=False,
    )
    # More pages than searchOrders' burst of 20: the first sync must wait for tokens.
    sim.generate(2600, start=NOW - timedelta(days=20), spread=timedelta(days=19))
    settings = {
        "region": "na",
        "marketplace_ids": ["ATVPDKIKX0DER"],
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    with ConnectorBuilder(
        AmazonConnector,
        clock=clock,
        transport=sim.transport,
        settings=settings,
        account_id=f"amazon-parked-{os.getpid()}",
    ) as build:
        yield clock, build()


def test_a_long_token_wait_parks_the_run_and_resume_reads_on(
    store_engine: Engine, seller: tuple[FakeClock, AmazonConnector]
) -> None:
    clock, connector = seller
    runner = PullRunner(store_engine, connector, park_after=2.0)
    result = runner.run()
    parks = 0
    while result.outcome == "waiting":
        parks += 1
        # 26 pages against a burst of 20 park a handful of times: a run that keeps coming
        # back "waiting" is a bug, not a reason to loop on.
        assert parks <= 100, f"the run came back waiting {parks} times without finishing"
        assert result.parked is not None and result.resume_in is not None
        # Parked means no sleep on the clock: the time is where the last request left it.
        assert result.resume_in > 2.0
        with store_engine.connect() as connection:
            (outcome,) = connection.execute(select(RUNS.c.outcome)).scalars().all()
        assert outcome == "running"  # the one run goes on
        clock.advance(result.resume_in)
        result = PullRunner(store_engine, connector, park_after=2.0).resume(result.parked)
    assert result.outcome == "succeeded", result.error
    assert parks >= 5  # 26+ pages against a burst of 20
    assert result.fetched >= 2600 and result.counts.created == 2600
    assert connector.http.stats.throttled == 0
    with store_engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(ORDERS)).scalar_one()
        (row,) = connection.execute(select(RUNS.c.outcome, RUNS.c.created)).all()
    assert stored == 2600 and tuple(row) == ("succeeded", 2600)


def test_abandoning_a_parked_run_ends_it_interrupted_and_the_next_run_catches_up(
    store_engine: Engine, seller: tuple[FakeClock, AmazonConnector]
) -> None:
    _clock, connector = seller
    result = PullRunner(store_engine, connector, park_after=2.0).run()
    assert result.outcome == "waiting" and result.parked is not None
    ended = PullRunner(store_engine, connector).abandon(result.parked)
    assert ended.outcome == "interrupted"
    # Without park_after a run sleeps through its waits (the CLI's `orderhub sync`).
    again = PullRunner(store_engine, connector).run()
    assert again.outcome == "succeeded"
    with store_engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(ORDERS)).scalar_one()
        outcomes = connection.execute(select(RUNS.c.outcome).order_by(RUNS.c.id)).scalars()
        assert list(outcomes) == ["interrupted", "succeeded"]
    assert stored == 2600

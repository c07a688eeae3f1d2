"""Login with Amazon: the access token is cached, renewed before its hour runs out and once
when Amazon says it expired; a refused refresh token flags the account instead of retrying."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from orderhub.sdk import AuthError, SyncWindow
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.store.runs import ACCOUNT_STATE, RUNS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault
from orderhub_connectors.amazon import AmazonConnector

from .conftest import ConnectorFactory

SEARCH = "/orders/2026-01-01/orders"
TOKEN = "/auth/o2/token"


def recent(clock: FakeClock) -> SyncWindow:
    end = clock.now() - timedelta(minutes=3)
    return SyncWindow(start=end - timedelta(hours=1), end=end)


def fetch(connector: AmazonConnector, clock: FakeClock) -> list[dict[str, Any]]:
    return list(connector.fetch_orders(recent(clock)))


def test_the_token_is_fetched_once_and_sent_in_x_amz_access_token(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    for _ in range(3):
        fetch(connector, clock)
    assert sim.lwa.token_requests == 1
    token = sim.lwa.issued[0].access_token
    searches = sim.requests_to(SEARCH)
    assert len(searches) == 3
    assert all(r.headers["x-amz-access-token"] == token for r in searches)
    assert all("authorization" not in r.headers for r in searches)
    form = sim.requests_to(TOKEN)[0].body.decode()
    assert "grant_type=refresh_token" in form and "client_secret=" in form


def test_the_token_is_renewed_shortly_before_its_hour_runs_out(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    fetch(connector, clock)
    clock.advance(3600 - 120)  # still valid, not yet inside the renewal margin
    fetch(connector, clock)
    assert sim.lwa.token_requests == 1
    clock.advance(90)  # 30 s left: renewed before use, never sent expired
    fetch(connector, clock)
    assert sim.lwa.token_requests == 2
    assert [r.status for r in sim.requests_to(SEARCH)] == [200, 200, 200]


def test_an_expired_token_403_renews_once_and_the_call_goes_through(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    fetch(connector, clock)
    sim.expire_tokens()  # the cache still believes the token valid
    assert fetch(connector, clock) == []
    searches = sim.requests_to(SEARCH)
    assert [r.status for r in searches] == [200, 403, 200]
    assert sim.lwa.token_requests == 2
    assert connector.http.stats.requests == 2, "one attempt as the rate limiter counts it"


def test_the_expired_message_may_come_in_the_details(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    fetch(connector, clock)
    body = (
        '{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.",'
        '"details":"The access token you provided has expired."}]}'
    )
    sim.faults.add(Fault.status(403, body=body), path=SEARCH)
    fetch(connector, clock)
    assert [r.status for r in sim.requests_to(SEARCH)] == [200, 403, 200]
    assert sim.lwa.token_requests == 2


def test_a_token_refused_twice_is_an_auth_error_not_a_loop(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    sim.faults.add(Fault.status(403), path=SEARCH, times=None)  # the app lacks the role
    with pytest.raises(AuthError) as caught:
        fetch(connector, clock)
    assert [r.status for r in sim.requests_to(SEARCH)] == [403, 403]
    assert sim.lwa.token_requests == 2, "renewed exactly once"
    assert "Inventory and Order Tracking role" in caught.value.fix


def test_a_revoked_authorisation_raises_auth_error_with_the_reauthorise_fix(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    fetch(connector, clock)
    sim.revoke()
    with pytest.raises(AuthError) as caught:
        fetch(connector, clock)
    assert "invalid_grant" in caught.value.message
    assert "Authorize app" in caught.value.fix and "refresh_token_env" in caught.value.fix
    assert len(sim.requests_to(TOKEN)) == 2, "one refused refresh, no retry"


def test_a_wrong_client_secret_is_an_auth_error(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(client_secret="amzn1.oa2-cs.v1.rotated-and-not-updated")
    with pytest.raises(AuthError) as caught:
        fetch(connector, clock)
    assert "invalid_client" in caught.value.message
    assert "client_secret_env" in caught.value.fix
    assert sim.requests_to(SEARCH) == [], "no API call without a token"


def test_check_uses_one_search_call(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    make_connector().check()
    (search,) = sim.requests_to(SEARCH)
    assert search.status == 200 and search.param("maxResultsPerPage") == "1"
    sim.revoke()
    with pytest.raises(AuthError):
        make_connector().check()


def test_a_revoked_account_fails_its_run_and_is_flagged(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    sim.generate(30, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    connector = make_connector()
    first = PullRunner(store_engine, connector).run()
    assert first.outcome == "succeeded" and first.counts.created == 30

    sim.revoke()
    clock.advance(2 * 3600)  # the cached token has expired: a refresh is needed
    result = PullRunner(store_engine, connector).run()

    assert result.outcome == "failed" and result.error_kind == "auth"
    assert "invalid_grant" in (result.error or "")
    with store_engine.connect() as connection:
        state = connection.execute(select(ACCOUNT_STATE)).one()
        runs = connection.execute(select(RUNS).order_by(RUNS.c.id)).all()
    assert state.account_id == "amazon-us" and state.needs_attention
    assert "Authorize app" in (state.fix or "")
    assert [run.outcome for run in runs] == ["succeeded", "failed"]
    assert runs[1].error_kind == "auth"

    # Once the seller authorises again, the next run clears the flag.
    sim.lwa.add_refresh_token(sim.refresh_token, sim.client_id)
    assert PullRunner(store_engine, connector).run().outcome == "succeeded"
    with store_engine.connect() as connection:
        assert not connection.execute(select(ACCOUNT_STATE)).one().needs_attention

"""OAuth against the simulated eBay: the refresh-token grant as eBay wants it, renewal
before the 2-hour expiry, a revoked refresh token flagging the account; the settings and the
refresh token's expiry warning."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import Engine, select

from orderhub.sdk import AuthError
from orderhub.sims.ebay import SCOPE, SCOPE_READONLY, SimulatedEbay
from orderhub.store.runs import ACCOUNT_STATE, RUNS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault
from orderhub_connectors.ebay import EbayConnector, EbaySettings, refresh_token_warning

from .conftest import ACCOUNT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ConnectorFactory


def token_requests(sim: SimulatedEbay) -> list[object]:
    return [r for r in sim.requests if r.operation == "token"]


def api_calls(sim: SimulatedEbay) -> list[object]:
    return [r for r in sim.requests if r.operation not in (None, "token")]


# -- the token request ----------------------------------------------------------------------


def test_the_token_request_is_ebays_refresh_grant_with_basic_auth(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    make_connector().check()
    (request,) = [r for r in sim.requests if r.operation == "token"]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "scope": SCOPE,
    }, "client credentials travel only in the Basic header"


def test_the_access_token_is_reused_and_renewed_before_two_hours(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.check()
    clock.advance(3600)
    connector.check()
    assert len(token_requests(sim)) == 1, "one token for the first hour"

    clock.advance(3600 - 30)  # 30 s before the 2-hour expiry: inside the renewal margin
    connector.check()
    assert len(token_requests(sim)) == 2
    assert [r.status for r in api_calls(sim)] == [200, 200, 200], "never a 401 on the way"
    first, second = sim.oauth.issued
    assert second.issued_at - first.issued_at == timedelta(seconds=7200 - 30)


def test_an_access_token_ebay_no_longer_accepts_is_renewed_once(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.check()
    sim.oauth.expire_all()  # eBay invalidated it early (the cache could not know)
    connector.check()
    statuses = [(r.operation, r.status) for r in sim.requests]
    assert statuses == [
        ("token", 200),
        ("getOrders", 200),
        ("getOrders", 401),
        ("token", 200),
        ("getOrders", 200),
    ]


def test_a_401_that_is_not_an_expired_token_is_not_renewed(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.check()
    sim.faults.add(Fault.status(401, body='{"errors":[{"errorId":1100}]}'), path="/order")
    with pytest.raises(AuthError) as caught:
        connector.check()
    assert len(token_requests(sim)) == 1
    assert ACCOUNT in str(caught.value) and "keyset" in caught.value.fix


def test_a_revoked_refresh_token_is_an_auth_error_with_the_way_out(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    sim.revoke_refresh_token()
    with pytest.raises(AuthError) as caught:
        make_connector().check()
    error = caught.value
    assert ACCOUNT in error.message and "invalid_grant" in error.message
    assert "authorization-code grant" in error.fix and "README" in error.fix
    assert "refresh_token_env" in error.fix
    assert len(token_requests(sim)) == 1, "never retried"
    assert api_calls(sim) == [], "no API call without a token"


def test_a_refresh_token_revoked_while_running_is_found_at_the_next_renewal(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.check()
    sim.revoke_refresh_token()  # access tokens issued from it stop working too
    with pytest.raises(AuthError, match="invalid_grant"):
        connector.check()


def test_a_read_only_consent_cannot_get_the_fulfillment_scope(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    sim.add_refresh_token("v^1.1#read-only", scopes=(SCOPE_READONLY,))
    with pytest.raises(AuthError, match="invalid_scope") as caught:
        make_connector(refresh_token="v^1.1#read-only").check()
    assert "sell.fulfillment" in caught.value.fix


def test_a_403_names_the_missing_scope(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    body = (
        '{"errors":[{"errorId":1100,"domain":"ACCESS","category":"REQUEST",'
        '"message":"Access denied"}]}'
    )
    sim.faults.add(Fault.status(403, body=body), path="/order")
    with pytest.raises(AuthError) as caught:
        make_connector().check()
    assert "1100" in str(caught.value) and "sell.fulfillment" in caught.value.fix


def test_a_revoked_token_fails_the_sync_run_and_flags_the_account(
    store_engine: Engine, sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    sim.generate(20, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    clock.advance(120)
    sim.revoke_refresh_token()
    result = PullRunner(store_engine, make_connector()).run()

    assert result.outcome == "failed" and result.error_kind == "auth"
    assert result.error is not None and "invalid_grant" in result.error
    with store_engine.connect() as connection:
        state = connection.execute(select(ACCOUNT_STATE)).one()
        run = connection.execute(select(RUNS)).one()
    assert (state.account_id, state.needs_attention) == (ACCOUNT, True)
    assert state.fix is not None and "authorization-code grant" in state.fix
    assert run.outcome == "failed" and run.error_kind == "auth"

    # The seller consents again; the new refresh token is configured: the flag clears.
    sim.add_refresh_token("v^1.1#renewed")
    again = PullRunner(store_engine, make_connector(refresh_token="v^1.1#renewed")).run()
    assert again.outcome == "succeeded" and again.counts.created == 20
    with store_engine.connect() as connection:
        assert connection.execute(select(ACCOUNT_STATE.c.needs_attention)).scalar_one() is False


# -- settings -------------------------------------------------------------------------------


def settings(**values: object) -> EbaySettings:
    base: dict[str, object] = {"client_id": "id", "client_secret": "secret", "refresh_token": "rt"}
    base.update(values)
    return EbaySettings(**base)  # type: ignore[arg-type]


def test_settings_default_to_production() -> None:
    value = settings()
    assert value.resolved_api_base_url == "https://api.ebay.com/sell/fulfillment/v1/"
    assert value.resolved_token_url == "https://api.ebay.com/identity/v1/oauth2/token"
    assert (value.daily_call_limit, value.daily_reserve) == (100_000, 1_000)


def test_sandbox_has_its_own_hosts() -> None:
    value = settings(environment="sandbox")
    assert value.resolved_api_base_url == "https://api.sandbox.ebay.com/sell/fulfillment/v1/"
    assert value.resolved_token_url == "https://api.sandbox.ebay.com/identity/v1/oauth2/token"


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("https://proxy.example", "https://proxy.example/sell/fulfillment/v1/"),
        ("https://proxy.example/sell/fulfillment/v1", "https://proxy.example/sell/fulfillment/v1/"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123/sell/fulfillment/v1/"),
    ],
)
def test_the_api_root_can_be_overridden(given: str, root: str) -> None:
    assert settings(api_base_url=given).resolved_api_base_url == root


@pytest.mark.parametrize("field", ["api_base_url", "token_url"])
def test_plain_http_is_refused_except_on_localhost(field: str) -> None:
    with pytest.raises(ValidationError, match="only for localhost"):
        settings(**{field: "http://ebay-proxy.example/"})
    assert getattr(settings(**{field: "http://localhost:9000/x"}), field).startswith("http://")


def test_the_reserve_must_leave_calls_for_orders_in() -> None:
    with pytest.raises(ValidationError, match="daily_reserve"):
        settings(daily_call_limit=1000, daily_reserve=1000)


def test_unknown_keys_and_a_bad_environment_are_refused() -> None:
    with pytest.raises(ValidationError):
        settings(enviroment="sandbox")
    with pytest.raises(ValidationError):
        settings(environment="staging")


def test_credentials_are_secret() -> None:
    value = settings(client_id="my-app-id", client_secret="my-cert", refresh_token="my-rt")
    assert isinstance(value.refresh_token, SecretStr)
    shown = repr(value)
    assert "my-app-id" not in shown and "my-cert" not in shown and "my-rt" not in shown
    assert set(value.secret_values()) == {"my-app-id", "my-cert", "my-rt"}


# -- the refresh token's expiry -------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expect"),
    [(31, None), (30, "in 30 days"), (1, "in 1 day"), (0, "expires today"), (-3, "expired on")],
)
def test_status_warns_within_30_days_of_the_expiry(
    clock: FakeClock, days: int, expect: str | None
) -> None:
    expires = clock.now().date() + timedelta(days=days)
    warning = refresh_token_warning(expires, clock.now(), account_id="ebay-main")
    if expect is None:
        assert warning is None
    else:
        assert warning is not None and expect in warning
        assert "ebay-main" in warning and expires.isoformat() in warning
        assert "refresh_token_expires_on" in warning


def test_no_expiry_date_means_no_warning(clock: FakeClock) -> None:
    assert refresh_token_warning(None, clock.now()) is None


def test_the_connector_and_the_raw_settings_give_the_same_warning(
    clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    soon = clock.now().date() + timedelta(days=10)
    connector = make_connector(refresh_token_expires_on=soon)
    warning = connector.attention(clock.now())
    assert warning is not None and "in 10 days" in warning
    raw = {"refresh_token_expires_on": soon.isoformat(), "client_id_env": "X"}
    assert EbayConnector.settings_attention(raw, clock.now(), ACCOUNT) == warning
    assert EbayConnector.settings_attention(connector.settings, clock.now(), ACCOUNT) == warning
    assert EbayConnector.settings_attention({}, clock.now(), ACCOUNT) is None
    assert (
        EbayConnector.settings_attention(
            {"refresh_token_expires_on": "someday"}, clock.now(), ACCOUNT
        )
        is None
    )
    later = make_connector(refresh_token_expires_on=date(2027, 7, 1))
    assert later.attention(clock.now()) is None

"""The refresh-token auth flow against a simulated OAuth token endpoint."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

from orderhub.sdk import (
    AuthError,
    HttpClient,
    RefreshTokenAuth,
    RetryPolicy,
    TransientError,
)
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault, OAuth2TokenEndpoint, SimRequest, SimResponse, SimulatedApi
from orderhub.testing.sim.oauth import TokenStatus


class TokenApi(SimulatedApi):
    """A channel with a token endpoint and one protected resource."""

    def __init__(self, clock: FakeClock, header: str = "authorization") -> None:
        super().__init__(clock)
        self.header = header
        self.oauth = OAuth2TokenEndpoint(clock, clients={"client-1": "secret-1"})
        self.oauth.add_refresh_token("rt-good", "client-1")
        self.add_route("POST", "/token", self.oauth.handle_token_request, auth=False)
        self.add_route("GET", "/orders", lambda request: SimResponse.json(200, {"ok": 1}))

    def authenticate(self, request: SimRequest, route: Any) -> SimResponse | None:
        status = self.oauth.check_request(request, header=self.header)
        if status is TokenStatus.VALID:
            return None
        return SimResponse.json(401, {"error": status.value})


def client(api: TokenApi, auth: RefreshTokenAuth, clock: FakeClock) -> HttpClient:
    return HttpClient(
        base_url="https://api.example.test/",
        account_id="acct",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=3),
        clock=clock,
        log=structlog.get_logger(),
        transport=api.transport(),
        auth=auth,
        secrets=["rt-good", "secret-1"],
    )


def make_auth(clock: FakeClock, **kwargs: Any) -> RefreshTokenAuth:
    options: dict[str, Any] = {
        "token_url": "https://api.example.test/token",
        "refresh_token": "rt-good",
        "client_id": "client-1",
        "client_secret": "secret-1",
        "clock": clock,
    }
    options.update(kwargs)
    return RefreshTokenAuth(**options)


def test_token_is_fetched_once_and_reused_until_near_expiry() -> None:
    clock = FakeClock()
    api = TokenApi(clock)
    auth = make_auth(clock)
    http = client(api, auth, clock)
    for _ in range(3):
        assert http.get_json("orders", "orders") == {"ok": 1}
    assert auth.refreshes == 1
    clock.advance(3600 - 30)  # inside the 60 s margin: renew before it runs out
    http.get_json("orders", "orders")
    assert auth.refreshes == 2
    assert len(api.requests_to("/token")) == 2


def test_an_expired_token_answer_renews_once_and_the_request_succeeds() -> None:
    clock = FakeClock()
    api = TokenApi(clock)
    auth = make_auth(clock)
    http = client(api, auth, clock)
    http.get_json("orders", "orders")
    api.oauth.expire_all()  # the channel forgot the token; our cache does not know
    assert http.get_json("orders", "orders") == {"ok": 1}
    assert auth.refreshes == 2


def test_a_custom_header_without_scheme_and_basic_client_auth() -> None:
    clock = FakeClock()
    api = TokenApi(clock, header="x-amz-access-token")
    auth = make_auth(clock, header="x-amz-access-token", scheme=None, client_auth="basic")
    http = client(api, auth, clock)
    assert http.get_json("orders", "orders") == {"ok": 1}
    token_call = api.requests_to("/token")[0]
    assert token_call.headers["authorization"].startswith("Basic ")
    assert b"client_secret" not in token_call.body


def test_a_revoked_refresh_token_is_an_auth_error_with_the_fix_and_no_retry() -> None:
    clock = FakeClock()
    api = TokenApi(clock)
    api.oauth.revoke("rt-good")
    auth = make_auth(clock, reauthorise_fix="Authorise again in Seller Central.")
    http = client(api, auth, clock)
    with pytest.raises(AuthError) as caught:
        http.get_json("orders", "orders")
    assert caught.value.code == "invalid_grant"
    assert "Seller Central" in caught.value.fix
    assert "rt-good" not in str(caught.value)
    assert len(api.requests_to("/token")) == 1


def test_a_failing_token_endpoint_is_transient_and_retried() -> None:
    clock = FakeClock()
    api = TokenApi(clock)
    api.faults.add(Fault.status(503), path="/token", times=1)
    auth = make_auth(clock)
    http = client(api, auth, clock)
    assert http.get_json("orders", "orders") == {"ok": 1}
    api.faults.add(Fault.status(503), path="/token", times=None)
    auth.invalidate()
    with pytest.raises(TransientError):
        http.get_json("orders", "orders")

"""The auth flows of orderhub.sdk.auth against a token endpoint and an API served by an
httpx transport: what goes on the wire, caching, early renewal and the one renewal."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import structlog

from orderhub.sdk import (
    AuthError,
    BasicAuth,
    ClientCredentialsAuth,
    HeaderTokenAuth,
    HttpClient,
    QueryAuth,
    RetryPolicy,
)
from orderhub.testing import FakeClock

SHOP_TOKEN_URL = "https://petshop.myshopify.com/admin/oauth/access_token"


class Channel:
    """A token endpoint issuing numbered tokens and an API accepting only the latest."""

    def __init__(self, lifetime: int | None = 86399, refuse_first_with: int | None = None):
        self.lifetime = lifetime
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.refuse_first_with = refuse_first_with
        self.clients = {"app-id": "app-secret-123"}

    def current(self) -> str:
        return f"tok-{len(self.token_requests)}"

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("access_token"):
            self.token_requests.append(request)
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            basic = request.headers.get("authorization", "")
            if basic.startswith("Basic "):
                pair = base64.b64decode(basic[6:]).decode()
                form["client_id"], form["client_secret"] = pair.split(":", 1)
            if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
                return httpx.Response(401, json={"error": "invalid_client"})
            body: dict[str, Any] = {"access_token": self.current(), "scope": "read_orders"}
            if self.lifetime is not None:
                body["expires_in"] = self.lifetime
            return httpx.Response(200, json=body)
        self.api_requests.append(request)
        if self.refuse_first_with and len(self.api_requests) == 1:
            return httpx.Response(self.refuse_first_with, json={"errors": "expired"})
        if request.headers.get("x-shopify-access-token") != self.current():
            return httpx.Response(401, json={"errors": "bad token"})
        return httpx.Response(200, json={"orders": []})


def client(channel: Channel, auth: httpx.Auth, clock: FakeClock) -> HttpClient:
    return HttpClient(
        base_url="https://petshop.myshopify.com/admin/api/2026-07/",
        account_id="acct",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=2),
        clock=clock,
        log=structlog.get_logger(),
        transport=httpx.MockTransport(channel.handle),
        auth=auth,
    )


def shopify(clock: FakeClock, **options: Any) -> ClientCredentialsAuth:
    settings: dict[str, Any] = {
        "token_url": SHOP_TOKEN_URL,
        "client_id": "app-id",
        "client_secret": "app-secret-123",
        "clock": clock,
        "header": "X-Shopify-Access-Token",
        "scheme": None,
        "default_lifetime": timedelta(hours=24),
    }
    settings.update(options)
    return ClientCredentialsAuth(**settings)


def test_shopify_client_credentials_token_goes_in_its_header_and_is_cached() -> None:
    clock, channel = FakeClock(), Channel()
    http = client(channel, shopify(clock), clock)
    assert http.get_json("orders", "orders.json") == {"orders": []}
    http.get_json("orders", "orders.json")
    assert len(channel.token_requests) == 1
    token_request = channel.token_requests[0]
    assert token_request.method == "POST"
    assert str(token_request.url) == SHOP_TOKEN_URL
    form = parse_qs(token_request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["app-id"],
        "client_secret": ["app-secret-123"],
    }
    assert channel.api_requests[0].headers["X-Shopify-Access-Token"] == "tok-1"
    assert "authorization" not in channel.api_requests[0].headers


def test_the_token_is_renewed_early_before_its_24_hours_are_up() -> None:
    clock, channel = FakeClock(), Channel(lifetime=None)  # no expires_in: 24 h default
    auth = shopify(clock, margin=timedelta(minutes=5))
    http = client(channel, auth, clock)
    http.get_json("orders", "orders.json")
    clock.advance(timedelta(hours=23, minutes=54).total_seconds())
    http.get_json("orders", "orders.json")
    assert len(channel.token_requests) == 1
    clock.advance(timedelta(minutes=1, seconds=1).total_seconds())
    http.get_json("orders", "orders.json")
    assert len(channel.token_requests) == 2
    assert channel.api_requests[-1].headers["X-Shopify-Access-Token"] == "tok-2"


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_renewed_once_and_the_request_goes_through(status: int) -> None:
    clock, channel = FakeClock(), Channel(refuse_first_with=status)
    http = client(channel, shopify(clock), clock)
    assert http.get_json("orders", "orders.json") == {"orders": []}
    assert len(channel.token_requests) == 2
    assert len(channel.api_requests) == 2


def test_basic_client_authentication_scope_and_extra_token_headers() -> None:
    clock, channel = FakeClock(), Channel()
    auth = shopify(
        clock,
        client_auth="basic",
        scope="read_orders write_fulfillments",
        token_headers={"WM_SVC.NAME": "orderhub"},
    )
    client(channel, auth, clock).get_json("orders", "orders.json")
    request = channel.token_requests[0]
    assert request.headers["WM_SVC.NAME"] == "orderhub"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        b"app-id:app-secret-123"
    ).decode("ascii")
    form = parse_qs(request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "scope": ["read_orders write_fulfillments"],
    }


def test_refused_client_credentials_are_an_auth_error_with_the_fix() -> None:
    clock, channel = FakeClock(), Channel()
    auth = shopify(clock, client_secret="wrong-secret", reauthorise_fix="Rotate the secret.")
    with pytest.raises(AuthError) as caught:
        client(channel, auth, clock).get_json("orders", "orders.json")
    assert "invalid_client" in caught.value.message
    assert caught.value.fix == "Rotate the secret."
    assert "wrong-secret" not in str(caught.value)
    assert len(channel.token_requests) == 1, "never retried"


Flow = Callable[[], httpx.Auth]


@pytest.mark.parametrize(
    ("make", "header", "value"),
    [
        (
            lambda: HeaderTokenAuth("shpat_abc123", "X-Shopify-Access-Token", scheme=None),
            "X-Shopify-Access-Token",
            "shpat_abc123",
        ),
        (lambda: HeaderTokenAuth("tok-xyz-987"), "Authorization", "Bearer tok-xyz-987"),
        (
            lambda: BasicAuth("ck_key", "cs_secret"),
            "Authorization",
            "Basic " + base64.b64encode(b"ck_key:cs_secret").decode("ascii"),
        ),
    ],
)
def test_static_flows_send_their_header(make: Flow, header: str, value: str) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(handle), auth=make()) as http:
        http.get("https://shop.example.test/orders")
    assert seen[0].headers[header] == value
    assert value.rsplit(" ", maxsplit=1)[-1] in make().secret_values()  # type: ignore[attr-defined]


def test_query_auth_adds_its_parameters_and_lists_them_as_secrets() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    auth = QueryAuth({"consumer_key": "ck_1", "consumer_secret": "cs_2"})
    with httpx.Client(transport=httpx.MockTransport(handle), auth=auth) as http:
        http.get("https://shop.example.test/orders?page=2")
    assert dict(seen[0].url.params) == {
        "page": "2",
        "consumer_key": "ck_1",
        "consumer_secret": "cs_2",
    }
    assert auth.secret_values() == ["ck_1", "cs_2"]


def test_oauth_flows_list_the_client_secret_and_its_basic_form_as_secrets() -> None:
    values = shopify(FakeClock()).secret_values()
    assert "app-secret-123" in values
    assert base64.b64encode(b"app-id:app-secret-123").decode("ascii") in values


def test_on_send_sees_every_api_request_and_no_token_request() -> None:
    clock, channel = FakeClock(), Channel(refuse_first_with=401)
    sent: list[str] = []
    auth = shopify(clock, on_send=lambda request: sent.append(request.url.path))
    client(channel, auth, clock).get_json("orders", "orders.json")
    assert sent == ["/admin/api/2026-07/orders.json"] * 2  # the first try and the renewed one
    assert len(channel.token_requests) == 2


def test_the_label_names_the_account_when_the_credentials_are_refused() -> None:
    clock, channel = FakeClock(), Channel()
    auth = shopify(clock, client_secret="wrong-secret", label="Shopify account petshop: ")
    with pytest.raises(AuthError, match=r"^Shopify account petshop: the channel refused"):
        client(channel, auth, clock).get_json("orders", "orders.json")


def test_error_entries_reads_the_error_list_and_never_raises() -> None:
    from orderhub.sdk import error_entries

    answer = httpx.Response(400, json={"errors": [{"errorId": 32100}, "junk"]})
    assert error_entries(answer) == [{"errorId": 32100}]
    assert error_entries(httpx.Response(500, content=b"<html>")) == []
    assert error_entries(httpx.Response(400, json={"errors": "none"})) == []
    nested = httpx.Response(400, json={"payload": {"errors": [{"code": "X"}]}})
    assert error_entries(nested, "payload.errors") == [{"code": "X"}]

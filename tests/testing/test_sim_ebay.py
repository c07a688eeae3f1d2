"""The simulated eBay, checked against eBay's OpenAPI description of the Fulfillment API
(``sell_fulfillment_v1_oas3.json``, loaded at test time: it is under eBay's API License
Agreement and not part of orderhub; the skip reason says how to fetch it) and through
real HTTP requests (in-process and over a socket on 127.0.0.1)."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import structlog

from orderhub.sdk import ConnectorContext, ShipmentDraft, ShipmentLine
from orderhub.sims.ebay import (
    SCOPE,
    SCOPE_READONLY,
    SimulatedEbay,
    ebay_day,
)
from orderhub.testing.clock import FakeClock
from orderhub.testing.sim import Fault
from orderhub.testing.specs import missing, spec_file
from orderhub_connectors.ebay import EbayConnector, EbaySettings

SPEC = spec_file("ebay", "sell_fulfillment_v1_oas3.json", Path(__file__))
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
API = "/sell/fulfillment/v1"
CLIENT = ("ebay-client", "ebay-secret")


# -- the spec -------------------------------------------------------------------------------


@cache
def _components() -> dict[str, Any] | None:
    if not SPEC.exists():
        return None
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    return _closed(copy.deepcopy(spec["components"]))


def _closed(node: Any) -> Any:
    """Object schemas refuse properties the spec does not declare, so a misspelt field
    fails instead of passing unnoticed."""
    if isinstance(node, dict):
        out = {key: _closed(value) for key, value in node.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


def conforms(schema: str, instance: Any) -> None:
    """Assert that ``instance`` matches ``components.schemas[schema]`` of eBay's spec."""
    components = _components()
    if components is None:
        pytest.skip(missing("ebay", "sell_fulfillment_v1_oas3.json", Path(__file__)))
    root = {"$ref": f"#/components/schemas/{schema}", "components": components}
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in jsonschema.Draft7Validator(root).iter_errors(instance)
    ]
    assert errors == [], f"{schema}: {errors[:5]}"


def ebay_errors(response: httpx.Response) -> list[int]:
    """The errorIds of an error answer, after checking the body is eBay's shape."""
    body = response.json()
    assert set(body) == {"errors"} and body["errors"]
    for error in body["errors"]:
        conforms("Error", error)
        assert {"errorId", "domain", "category", "message"} <= set(error)
        assert len(error["message"]) <= 50 and len(error.get("longMessage", "")) <= 200
    return [error["errorId"] for error in body["errors"]]


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedEbay:
    return SimulatedEbay(clock, seed=5)


def _token(client: httpx.Client, scope: str = SCOPE, refresh: str = "v^1.1#sim") -> str:
    response = client.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "scope": scope},
        auth=CLIENT,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def ebay(sim: SimulatedEbay) -> Iterator[httpx.Client]:
    """A client with a valid user token, in-process."""
    with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
        client.headers["Authorization"] = f"Bearer {_token(client)}"
        yield client


@pytest.fixture(params=["in-process", "server"])
def either(request: pytest.FixtureRequest, sim: SimulatedEbay) -> Iterator[httpx.Client]:
    """The simulator reached both ways."""
    if request.param == "in-process":
        with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
            client.headers["Authorization"] = f"Bearer {_token(client)}"
            yield client
    else:
        with sim.serve() as server, httpx.Client(base_url=server.base_url) as client:
            client.headers["Authorization"] = f"Bearer {_token(client)}"
            yield client


def orders_url(filter_value: str | None = None, **params: Any) -> str:
    """A getOrders URL with the filter percent-encoded as eBay requires."""
    parts = []
    if filter_value is not None:
        encoded = (
            filter_value.replace("[", "%5B")
            .replace("]", "%5D")
            .replace("{", "%7B")
            .replace("|", "%7C")
            .replace("}", "%7D")
        )
        parts.append(f"filter={encoded}")
    parts += [f"{k}={v}" for k, v in params.items()]
    return f"{API}/order" + ("?" + "&".join(parts) if parts else "")


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- OAuth ----------------------------------------------------------------------------------


def test_the_token_endpoint_answers_like_ebay(sim: SimulatedEbay) -> None:
    with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
        response = client.post(
            "/identity/v1/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": "v^1.1#sim", "scope": SCOPE},
            auth=CLIENT,
        )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}, "no refresh token back"
    assert body["token_type"] == "User Access Token" and body["expires_in"] == 7200


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ("credentials in the form", 401, "invalid_client"),
        ("wrong secret", 401, "invalid_client"),
        ("unknown refresh token", 400, "invalid_grant"),
        ("scope beyond consent", 400, "invalid_scope"),
    ],
)
def test_the_token_endpoint_refuses_what_ebay_refuses(
    sim: SimulatedEbay, change: str, status: int, error: str
) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "v^1.1#sim", "scope": SCOPE}
    auth: Any = CLIENT
    if change == "credentials in the form":
        form.update(client_id=CLIENT[0], client_secret=CLIENT[1])
        auth = None
    elif change == "wrong secret":
        auth = (CLIENT[0], "nope")
    elif change == "unknown refresh token":
        form["refresh_token"] = "v^1.1#other"
    else:
        form["scope"] = SCOPE + " https://api.ebay.com/oauth/api_scope/sell.inventory"
    with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
        response = client.post("/identity/v1/oauth2/token", data=form, auth=auth)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_a_revoked_consent_stops_refreshes_and_its_access_tokens(
    sim: SimulatedEbay, ebay: httpx.Client
) -> None:
    assert ebay.get(orders_url()).status_code == 200
    sim.revoke_refresh_token()
    response = ebay.get(orders_url())
    assert response.status_code == 401 and ebay_errors(response) == [1001]
    refused = ebay.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "v^1.1#sim"},
        auth=CLIENT,
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_api_calls_need_a_live_bearer_token(
    sim: SimulatedEbay, clock: FakeClock, ebay: httpx.Client
) -> None:
    missing = httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com")
    response = missing.get(orders_url())
    assert response.status_code == 401 and ebay_errors(response) == [1001]
    assert response.json()["errors"][0]["message"] == "Invalid access token"
    clock.advance(7200)
    expired = ebay.get(orders_url())
    assert expired.status_code == 401 and ebay_errors(expired) == [1001]


def test_a_read_only_token_cannot_create_fulfillments(sim: SimulatedEbay) -> None:
    order = sim.add_order(created=NOW - timedelta(hours=1))
    with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
        client.headers["Authorization"] = f"Bearer {_token(client, scope=SCOPE_READONLY)}"
        assert client.get(f"{API}/order/{order['orderId']}").status_code == 200
        response = client.post(
            f"{API}/order/{order['orderId']}/shipping_fulfillment",
            json={"lineItems": [{"lineItemId": order["lineItems"][0]["lineItemId"]}]},
        )
    assert response.status_code == 403 and ebay_errors(response) == [1100]


# -- getOrders: shapes and paging -----------------------------------------------------------


def test_generated_orders_conform_to_the_spec_and_look_real(sim: SimulatedEbay) -> None:
    ids = sim.generate(300, start=NOW - timedelta(days=20), spread=timedelta(days=19))
    orders = [sim.order(order_id) for order_id in ids]
    for order in orders:
        conforms("Order", order)
    currencies = {o["pricingSummary"]["total"]["currency"] for o in orders}
    assert {"USD", "GBP", "EUR"} <= currencies
    lines = [line for o in orders for line in o["lineItems"]]
    assert any(len(o["lineItems"]) > 1 for o in orders)
    assert any("legacyVariationId" in line for line in lines)
    assert any("sku" not in line for line in lines)
    assert all(line["legacyItemId"] and line["lineItemId"] for line in lines)
    assert len({o["buyer"]["username"] for o in orders}) > 100
    states = {
        (o["orderPaymentStatus"], o["orderFulfillmentStatus"], o["cancelStatus"]["cancelState"])
        for o in orders
    }
    assert {s[0] for s in states} == {
        "PENDING", "FAILED", "PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED"
    }  # fmt: skip
    assert {s[1] for s in states} == {"NOT_STARTED", "IN_PROGRESS", "FULFILLED"}
    assert {s[2] for s in states} == {"NONE_REQUESTED", "IN_PROGRESS", "CANCELED"}
    for order in orders:
        assert order["creationDate"] <= order["lastModifiedDate"] <= ts(NOW)
        if order["orderFulfillmentStatus"] != "NOT_STARTED":
            assert sim.fulfillments(order["orderId"]), "shipped orders have their fulfillments"


def test_get_orders_pages_by_offset_with_href_next_prev_total(
    sim: SimulatedEbay, either: httpx.Client
) -> None:
    ids = sim.generate(120, start=NOW - timedelta(days=5), spread=timedelta(days=4))
    span = f"lastmodifieddate:[{ts(NOW - timedelta(days=10))}..{ts(NOW)}]"
    seen: list[str] = []
    url: str | None = orders_url(span, limit=50)
    pages: list[dict[str, Any]] = []
    while url is not None:
        response = either.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        conforms("OrderSearchPagedCollection", body)
        pages.append(body)
        seen += [order["orderId"] for order in body["orders"]]
        url = body.get("next")
    assert seen == ids, "every order once, by creation date"
    assert [(p["offset"], p["limit"], p["total"], len(p["orders"])) for p in pages] == [
        (0, 50, 120, 50),
        (50, 50, 120, 50),
        (100, 50, 120, 20),
    ]
    assert "prev" not in pages[0] and "next" not in pages[-1]
    assert pages[1]["prev"].endswith("limit=50&offset=0")
    assert pages[0]["next"].endswith("limit=50&offset=50")
    assert "filter=lastmodifieddate:%5B" in pages[0]["href"]
    creation = [o["creationDate"] for p in pages for o in p["orders"]]
    assert creation == sorted(creation)


def test_the_list_leaves_cancel_requests_empty_and_get_order_fills_them(
    sim: SimulatedEbay, ebay: httpx.Client
) -> None:
    order_id = sim.add_order(created=NOW - timedelta(hours=5))["orderId"]
    sim.request_cancel(order_id, when=NOW - timedelta(hours=4))
    (listed,) = ebay.get(orders_url()).json()["orders"]
    assert listed["cancelStatus"] == {"cancelState": "IN_PROGRESS", "cancelRequests": []}
    single = ebay.get(f"{API}/order/{order_id}")
    assert single.status_code == 200
    conforms("Order", single.json())
    (request,) = single.json()["cancelStatus"]["cancelRequests"]
    assert request["cancelRequestState"] == "REQUESTED"
    conforms("CancelRequest", request)


def test_without_a_filter_the_last_90_days_of_creation_are_listed(
    sim: SimulatedEbay, ebay: httpx.Client
) -> None:
    recent = sim.add_order(created=NOW - timedelta(days=89))["orderId"]
    sim.add_order(created=NOW - timedelta(days=91))
    assert [o["orderId"] for o in ebay.get(orders_url()).json()["orders"]] == [recent]


def test_limit_defaults_to_50(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    sim.generate(60, start=NOW - timedelta(days=2), spread=timedelta(days=1))
    body = ebay.get(orders_url()).json()
    assert body["limit"] == 50 and len(body["orders"]) == 50 and body["total"] == 60


def test_last_modified_and_creation_filters(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    old = sim.add_order(created=NOW - timedelta(days=30))["orderId"]
    sim.mark_paid(old, when=NOW - timedelta(hours=2))  # modified recently
    new = sim.add_order(created=NOW - timedelta(hours=10))["orderId"]
    modified = f"lastmodifieddate:[{ts(NOW - timedelta(hours=3))}..]"
    created = f"creationdate:[{ts(NOW - timedelta(days=1))}..{ts(NOW)}]"

    def listed(filter_value: str) -> list[str]:
        return [o["orderId"] for o in ebay.get(orders_url(filter_value)).json()["orders"]]

    assert listed(modified) == [old]
    assert listed(created) == [new]
    # "If creationdate and lastmodifieddate are both included, only creationdate is used."
    assert listed(f"{modified},{created}") == [new]


def test_the_date_range_is_inclusive_at_both_ends(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    at = NOW - timedelta(hours=1)
    order_id = sim.add_order(created=at)["orderId"]
    both = ebay.get(orders_url(f"lastmodifieddate:[{ts(at)}..{ts(at)}]")).json()
    assert [o["orderId"] for o in both["orders"]] == [order_id]


def test_the_fulfillment_status_filter(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    waiting = sim.add_order(created=NOW - timedelta(hours=3))["orderId"]
    shipped = sim.add_order(created=NOW - timedelta(hours=2), fulfillment_status="FULFILLED")
    open_ = ebay.get(orders_url("orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}")).json()
    done = ebay.get(orders_url("orderfulfillmentstatus:{FULFILLED|IN_PROGRESS}")).json()
    assert [o["orderId"] for o in open_["orders"]] == [waiting]
    assert [o["orderId"] for o in done["orders"]] == [shipped["orderId"]]


def test_order_ids_override_everything_else(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    ids = sim.generate(5, start=NOW - timedelta(days=200), spread=timedelta(days=1))
    body = ebay.get(f"{API}/order?orderIds={ids[1]},{ids[3]}&limit=1&filter=bogus").json()
    assert [o["orderId"] for o in body["orders"]] == [ids[1], ids[3]]
    too_many = ",".join(f"12-00000-{i:05d}" for i in range(51))
    assert ebay_errors(ebay.get(f"{API}/order?orderIds={too_many}")) == [30900]


# -- getOrders: what eBay refuses -----------------------------------------------------------

FUTURE = ts(NOW + timedelta(days=1))
PAST = ts(NOW - timedelta(days=1))


@pytest.mark.parametrize(
    ("query", "error_id"),
    [
        (orders_url("lastmodified:[2026-01-01T00:00:00.000Z..]"), 30700),
        (orders_url("status:{FULFILLED}"), 30700),
        (orders_url("lastmodifieddate:2026-01-01T00:00:00.000Z"), 30800),
        (orders_url("lastmodifieddate:[2026-01-01T00:00:00.000Z]"), 30800),
        (orders_url("orderfulfillmentstatus:{NOT_STARTED|FULFILLED}"), 30800),
        (orders_url("lastmodifieddate:[2026-01-01T00:00:00Z..]"), 30810),
        (orders_url("lastmodifieddate:[2026-01-01..]"), 30810),
        (orders_url("lastmodifieddate:[2026-01-01T00:00:00.000+01:00..]"), 30810),
        (orders_url(f"lastmodifieddate:[{PAST}..2026-13-01T00:00:00.000Z]"), 30810),
        (orders_url(f"lastmodifieddate:[..{PAST}]"), 30820),
        (orders_url(f"creationdate:[{PAST}..{ts(NOW - timedelta(days=2))}]"), 30840),
        (orders_url(f"lastmodifieddate:[{FUTURE}..]"), 30850),
        (orders_url(f"lastmodifieddate:[{PAST}..{FUTURE}]"), 30850),
        (orders_url("creationdate:[2023-01-01T00:00:00.000Z..]"), 30830),
        (orders_url(offset="-1"), 31000),
        (orders_url(offset="ten"), 31000),
        (orders_url(limit="201"), 31100),
        (orders_url(limit="0"), 31100),
        (orders_url(fieldGroups="EVERYTHING"), 32800),
    ],
)
def test_get_orders_refuses_what_ebay_refuses(
    ebay: httpx.Client, query: str, error_id: int
) -> None:
    response = ebay.get(query)
    assert response.status_code == 400
    assert ebay_errors(response) == [error_id]
    error = response.json()["errors"][0]
    assert error["domain"] == "API_FULFILLMENT" and error["category"] == "REQUEST"


def test_unencoded_brackets_are_refused(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    literal = f"{API}/order?filter=lastmodifieddate:[{PAST}..]"
    response = ebay.get(literal)
    assert response.status_code == 400 and ebay_errors(response) == [30800]
    assert "%5B" in response.json()["errors"][0]["longMessage"]
    (record,) = [r for r in sim.requests if r.operation == "getOrders"]
    assert sim.raw_query(record) == f"filter=lastmodifieddate:[{PAST}..]"
    assert ebay.get(orders_url(f"lastmodifieddate:[{PAST}..]")).status_code == 200


def test_a_200_order_page_is_the_most_and_201_fails(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    sim.generate(250, start=NOW - timedelta(days=3), spread=timedelta(days=2))
    assert len(ebay.get(orders_url(limit=200)).json()["orders"]) == 200
    assert ebay_errors(ebay.get(orders_url(limit=201))) == [31100]


def test_an_unknown_order_id(ebay: httpx.Client) -> None:
    response = ebay.get(f"{API}/order/99-99999-99999")
    assert response.status_code == 400 and ebay_errors(response) == [32100]


# -- shipping fulfillments ------------------------------------------------------------------


def _fulfil(ebay: httpx.Client, order_id: str, body: dict[str, Any]) -> httpx.Response:
    return ebay.post(f"{API}/order/{order_id}/shipping_fulfillment", json=body)


def test_create_shipping_fulfillment_answers_201_with_location(
    sim: SimulatedEbay, clock: FakeClock, either: httpx.Client
) -> None:
    order = sim.add_order(
        created=NOW - timedelta(days=1), lines=[("RUN-W-38", 1), ("MUG-ENAMEL-BLUE", 2)]
    )
    first, second = (line["lineItemId"] for line in order["lineItems"])
    clock.advance(60)
    body = {
        "lineItems": [{"lineItemId": first, "quantity": 1}],
        "shippedDate": ts(NOW - timedelta(hours=1)),
        "shippingCarrierCode": "USPS",
        "trackingNumber": "9400111899223197428490",
    }
    conforms("ShippingFulfillmentDetails", body)
    response = _fulfil(either, order["orderId"], body)
    assert response.status_code == 201 and response.json() == {}
    location = response.headers["location"]
    assert location.endswith(
        f"{API}/order/{order['orderId']}/shipping_fulfillment/9400111899223197428490"
    )
    listed = either.get(f"{API}/order/{order['orderId']}/shipping_fulfillment").json()
    conforms("ShippingFulfillmentPagedCollection", listed)
    assert listed["total"] == 1
    (fulfillment,) = listed["fulfillments"]
    assert fulfillment == {
        "fulfillmentId": "9400111899223197428490",
        "lineItems": [{"lineItemId": first, "quantity": 1}],
        "shippedDate": ts(NOW - timedelta(hours=1)),
        "shipmentTrackingNumber": "9400111899223197428490",
        "shippingCarrierCode": "USPS",
    }
    single = either.get(
        location.split("api.ebay.com")[-1] if "api.ebay.com" in location else location
    )
    assert single.status_code == 200
    conforms("ShippingFulfillment", single.json())

    after = either.get(f"{API}/order/{order['orderId']}").json()
    assert after["orderFulfillmentStatus"] == "IN_PROGRESS"
    assert after["lastModifiedDate"] == ts(clock.now()) > order["lastModifiedDate"]
    assert [line["lineItemFulfillmentStatus"] for line in after["lineItems"]] == [
        "FULFILLED",
        "NOT_STARTED",
    ]
    assert after["fulfillmentHrefs"][0].endswith("/shipping_fulfillment/9400111899223197428490")

    rest = {
        "lineItems": [{"lineItemId": second, "quantity": 2}],
        "shippingCarrierCode": "UPS",
        "trackingNumber": "1Z999AA10123456784",
    }
    done = _fulfil(either, order["orderId"], rest)
    assert done.status_code == 201
    assert either.get(f"{API}/order/{order['orderId']}").json()["orderFulfillmentStatus"] == (
        "FULFILLED"
    )


def test_the_same_create_twice_makes_two_fulfillments_as_on_ebay(
    sim: SimulatedEbay, ebay: httpx.Client
) -> None:
    # No idempotency key: a blind retry of a create whose answer was lost ships twice.
    order = sim.add_order(created=NOW - timedelta(days=1), lines=[("USBC-CABLE-2M", 3)])
    line = order["lineItems"][0]["lineItemId"]
    body = {
        "lineItems": [{"lineItemId": line, "quantity": 1}],
        "shippingCarrierCode": "USPS",
        "trackingNumber": "9400100000000000000777",
    }
    assert _fulfil(ebay, order["orderId"], body).status_code == 201
    assert _fulfil(ebay, order["orderId"], body).status_code == 201
    assert [f["fulfillmentId"] for f in sim.fulfillments(order["orderId"])] == [
        "9400100000000000000777",
        "9400100000000000000777",
    ]


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ("unknown line", 32200),
        ("duplicate line", 32210),
        ("tracking without carrier", 32300),
        ("carrier without tracking", 32300),
        ("tracking with a dash", 32300),
        ("unknown carrier", 32300),
        ("bad shipped date", 32500),
        ("more than ordered", 32600),
        ("zero quantity", 32600),
        ("no line items", 32600),
    ],
)
def test_create_refuses_what_ebay_refuses(
    sim: SimulatedEbay, ebay: httpx.Client, change: str, error_id: int
) -> None:
    order = sim.add_order(created=NOW - timedelta(days=1), lines=[("TEE-ORGANIC-M", 2)])
    line = order["lineItems"][0]["lineItemId"]
    body: dict[str, Any] = {
        "lineItems": [{"lineItemId": line, "quantity": 1}],
        "shippingCarrierCode": "DHL",
        "trackingNumber": "JJD000390007777777",
    }
    if change == "unknown line":
        body["lineItems"] = [{"lineItemId": "10000000099999", "quantity": 1}]
    elif change == "duplicate line":
        body["lineItems"] = [{"lineItemId": line, "quantity": 1}] * 2
    elif change == "tracking without carrier":
        del body["shippingCarrierCode"]
    elif change == "carrier without tracking":
        del body["trackingNumber"]
    elif change == "tracking with a dash":
        body["trackingNumber"] = "JJD-0003900077"
    elif change == "unknown carrier":
        body["shippingCarrierCode"] = "PonyExpress"
    elif change == "bad shipped date":
        body["shippedDate"] = "2026-01-15 10:00:00"
    elif change == "more than ordered":
        body["lineItems"][0]["quantity"] = 3
    elif change == "zero quantity":
        body["lineItems"][0]["quantity"] = 0
    else:
        body["lineItems"] = []
    response = _fulfil(ebay, order["orderId"], body)
    assert response.status_code == 400 and ebay_errors(response) == [error_id]
    assert sim.fulfillments(order["orderId"]) == []


def test_create_needs_a_json_body(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    order = sim.add_order(created=NOW - timedelta(days=1))
    response = ebay.post(
        f"{API}/order/{order['orderId']}/shipping_fulfillment",
        content=b"lineItems=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and ebay_errors(response) == [32600]
    unknown = _fulfil(ebay, "99-99999-99999", {"lineItems": [{"lineItemId": "1"}]})
    assert unknown.status_code == 400 and ebay_errors(unknown) == [32100]


def test_a_fulfillment_without_tracking_gets_a_number_id(
    sim: SimulatedEbay, ebay: httpx.Client
) -> None:
    order = sim.add_order(created=NOW - timedelta(days=1))
    line = order["lineItems"][0]
    response = _fulfil(ebay, order["orderId"], {"lineItems": [{"lineItemId": line["lineItemId"]}]})
    assert response.status_code == 201 and response.headers["location"].endswith("/999")


def test_the_connectors_request_conforms_to_the_spec(sim: SimulatedEbay, clock: FakeClock) -> None:
    order = sim.add_order(created=NOW - timedelta(days=1), lines=[("TEE-ORGANIC-M", 2)])
    settings = EbaySettings(client_id=CLIENT[0], client_secret=CLIENT[1], refresh_token="v^1.1#sim")
    connector = EbayConnector(
        ConnectorContext(
            account_id="ebay",
            settings=settings,
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )
    try:
        connector.push_tracking(
            ShipmentDraft(
                order_external_id=order["orderId"],
                reference="r",
                carrier_code="RoyalMail",
                tracking_number="RN 1234 5678 9GB",
                shipped_at=clock.now() - timedelta(minutes=5),
                lines=(ShipmentLine(order["lineItems"][0]["lineItemId"], 2),),
            )
        )
    finally:
        connector.close()
    (create,) = [r for r in sim.requests if r.operation == "createShippingFulfillment"]
    conforms("ShippingFulfillmentDetails", create.json())
    assert create.status == 201


# -- quota, faults, errors ------------------------------------------------------------------


def test_the_daily_quota_answers_ebays_429(sim: SimulatedEbay, ebay: httpx.Client) -> None:
    sim.daily_limits["order"] = 2
    assert ebay.get(orders_url()).status_code == 200
    assert ebay.get(orders_url()).status_code == 200
    refused = ebay.get(orders_url())
    assert refused.status_code == 429 and "retry-after" not in refused.headers
    assert refused.json() == {
        "errors": [
            {
                "errorId": 2001,
                "domain": "ACCESS",
                "category": "REQUEST",
                "message": "Too many requests.",
                "longMessage": "The request limit has been reached for the resource.",
            }
        ]
    }
    ebay_errors(refused)
    assert sim.calls_today() == 2
    sim.quota_retry_after = 30
    assert ebay.get(orders_url()).headers["retry-after"] == "30"


def test_the_quota_day_is_the_pacific_day(
    sim: SimulatedEbay, clock: FakeClock, ebay: httpx.Client
) -> None:
    assert ebay_day(NOW).isoformat() == "2026-01-15"  # 04:00 in California
    assert ebay_day(datetime(2026, 1, 15, 7, 59, tzinfo=UTC)).isoformat() == "2026-01-14"
    sim.exhaust_quota()
    assert ebay.get(orders_url()).status_code == 429
    clock.advance(20 * 3600 - 1)  # 07:59:59 UTC the next day: still the same eBay day
    ebay.headers["Authorization"] = f"Bearer {_token(ebay)}"
    assert ebay.get(orders_url()).status_code == 429
    clock.advance(1)
    assert ebay.get(orders_url()).status_code == 200
    assert sim.calls_today() == 1


def test_faults_and_unknown_routes_use_ebays_error_body(
    sim: SimulatedEbay, ebay: httpx.Client
) -> None:
    sim.faults.add(Fault.status(500), path="/order")
    failed = ebay.get(orders_url())
    assert failed.status_code == 500 and ebay_errors(failed) == [30500]
    assert failed.json()["errors"][0]["category"] == "APPLICATION"
    missing = ebay.get(f"{API}/payment_dispute_summary")
    assert missing.status_code == 404 and ebay_errors(missing) == [2002]


# -- changes over time and broken orders ----------------------------------------------------


def test_orders_arrive_and_change_over_time(sim: SimulatedEbay, clock: FakeClock) -> None:
    ids = sim.generate(40, start=NOW - timedelta(days=2), spread=timedelta(days=1))
    before = {order_id: sim.order(order_id)["lastModifiedDate"] for order_id in ids}
    sim.start_live(new_per_hour=120, changes_per_hour=240)
    clock.advance(3 * 3600)
    with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
        client.headers["Authorization"] = f"Bearer {_token(client)}"
        since = ts(NOW + timedelta(seconds=1))  # generated orders end at NOW at the latest
        body = client.get(orders_url(f"lastmodifieddate:[{since}..]", limit=200)).json()
    changed = [o for o in body["orders"] if o["orderId"] in before]
    new = [o for o in body["orders"] if o["orderId"] not in before]
    assert len(new) > 100 and len(changed) > 5
    for order in body["orders"]:
        conforms("Order", order)
    assert all(before[o["orderId"]] < o["lastModifiedDate"] for o in changed)


def test_lifecycle_helpers_move_the_states_like_ebay(sim: SimulatedEbay) -> None:
    order_id = sim.add_order(created=NOW - timedelta(hours=5), payment_status="PENDING")["orderId"]
    assert sim.mark_paid(order_id)["orderPaymentStatus"] == "PAID"
    asked = sim.request_cancel(order_id)
    assert asked["cancelStatus"]["cancelState"] == "IN_PROGRESS"
    rejected = sim.reject_cancel(order_id)
    assert rejected["cancelStatus"]["cancelState"] == "NONE_REQUESTED"
    assert rejected["cancelStatus"]["cancelRequests"][0]["cancelRequestState"] == "REJECTED"
    sim.request_cancel(order_id)
    cancelled = sim.approve_cancel(order_id)
    assert cancelled["cancelStatus"]["cancelState"] == "CANCELED"
    assert cancelled["orderPaymentStatus"] == "FULLY_REFUNDED"
    assert "cancelledDate" in cancelled["cancelStatus"]
    conforms("Order", cancelled)
    shipped = sim.add_order(created=NOW - timedelta(hours=5))["orderId"]
    sim.ship(shipped)
    assert sim.order(shipped)["orderFulfillmentStatus"] == "FULFILLED"
    assert sim.refund(shipped, amount=None)["orderPaymentStatus"] == "FULLY_REFUNDED"


@pytest.mark.parametrize(
    ("kind", "broken"),
    [
        ("no_line_items", lambda o: o["lineItems"] == []),
        ("bad_total", lambda o: o["pricingSummary"]["total"]["value"] == "twelve dollars"),
        ("missing_last_modified", lambda o: "lastModifiedDate" not in o),
        ("unknown_payment", lambda o: o["orderPaymentStatus"] == "AWAITING_SETTLEMENT"),
    ],
)
def test_malformed_orders_are_listed_like_any_other(
    sim: SimulatedEbay, ebay: httpx.Client, kind: str, broken: Any
) -> None:
    order = sim.add_malformed_order(kind, created=NOW - timedelta(hours=2))  # type: ignore[arg-type]
    assert broken(order)
    (listed,) = ebay.get(orders_url()).json()["orders"]
    assert listed["orderId"] == order["orderId"] and broken(listed)


def test_basic_credentials_are_never_in_the_request_record_repr(sim: SimulatedEbay) -> None:
    with httpx.Client(transport=sim.transport(), base_url="https://api.ebay.com") as client:
        _token(client)
    shown = repr(sim.requests)
    encoded = base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
    assert encoded not in shown and "v^1.1#sim" not in shown

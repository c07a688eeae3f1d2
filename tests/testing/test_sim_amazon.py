"""The simulated Amazon, checked against the official models copied in
``tests/specs/amazon`` (``orders_2026-01-01.json``, ``ordersV0.json``) with jsonschema,
against the models' sandbox examples, and through real HTTP requests."""

from __future__ import annotations

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

from orderhub.sdk import ConnectorContext, RateLimit, ShipmentDraft, ShipmentLine
from orderhub.sims.amazon import (
    ALL_DATASETS,
    FULFILLMENT_STATUSES,
    SimulatedAmazon,
    extract_sandbox_examples,
    sandbox_examples,
)
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault
from orderhub.testing.specs import missing, spec_file

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SEARCH = "/orders/2026-01-01/orders"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
API = "https://sellingpartnerapi-na.amazon.com"


# -- the models as JSON schemas -------------------------------------------------------------


@cache
def _model(name: str) -> dict[str, Any]:
    path = spec_file("amazon", name, Path(__file__))
    if not path.exists():
        pytest.skip(missing("amazon", name, Path(__file__)))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _closed(node: Any) -> Any:
    """A copy of a schema where every object with declared properties refuses others, so
    the simulator cannot invent fields the model does not have."""
    if isinstance(node, dict):
        out = {key: _closed(value) for key, value in node.items()}
        if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def check(model: str, definition: str, instance: Any) -> None:
    """Validate ``instance`` against ``#/definitions/<definition>`` of ``model``."""
    definitions = _closed(_model(model)["definitions"])
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    jsonschema.Draft4Validator(schema, format_checker=_FORMATS).validate(instance)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedAmazon:
    return SimulatedAmazon(clock, seed=42, marketplace_ids=(US, CA))


def token_for(
    sim: SimulatedAmazon, client: httpx.Client, lwa: str = "https://api.amazon.com"
) -> str:
    """An access token from the simulator's LWA endpoint (``lwa``: its scheme and host;
    in-process any host reaches the simulator)."""
    answer = client.post(
        f"{lwa}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": sim.refresh_token,
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        },
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture
def amazon(sim: SimulatedAmazon) -> Iterator[httpx.Client]:
    """An authenticated client for the simulated Selling Partner API (in-process)."""
    with httpx.Client(transport=sim.transport(), base_url=API) as client:
        client.headers["x-amz-access-token"] = token_for(sim, client)
        yield client


def window(**extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "lastUpdatedAfter": "2026-01-01T00:00:00Z",
        "lastUpdatedBefore": "2026-01-15T11:50:00Z",
        "marketplaceIds": f"{US},{CA}",
    }
    params.update(extra)
    return params


def populate(sim: SimulatedAmazon, n: int = 300) -> list[str]:
    return sim.generate(n, start=NOW - timedelta(days=6), spread=timedelta(days=5))


# -- responses against the models -----------------------------------------------------------


def test_search_pages_with_every_dataset_match_the_model(
    sim: SimulatedAmazon, amazon: httpx.Client
) -> None:
    populate(sim)
    sim.add_order(status="UNFULFILLABLE", fulfilled_by="AMAZON", created=NOW - timedelta(days=1))
    sim.add_order(status="PENDING_AVAILABILITY", created=NOW - timedelta(days=1))
    params = window(includedData=",".join(sorted(ALL_DATASETS)))
    seen_statuses: set[str] = set()
    token: str | None = None
    pages = 0
    while True:
        answer = amazon.get(
            SEARCH, params={**params, **({"paginationToken": token} if token else {})}
        )
        assert answer.status_code == 200
        body = answer.json()
        check("orders_2026-01-01.json", "SearchOrdersResponse", body)
        seen_statuses |= {o["fulfillment"]["fulfillmentStatus"] for o in body["orders"]}
        pages += 1
        token = body.get("pagination", {}).get("nextToken")
        if token is None:
            break
    assert pages == 4
    assert seen_statuses == set(FULFILLMENT_STATUSES)


def test_get_order_matches_the_model(sim: SimulatedAmazon, amazon: httpx.Client) -> None:
    order = sim.add_order(
        status="PARTIALLY_SHIPPED", items=[("CAP-NAVY", 2), ("MUG-WHITE-11OZ", 1)]
    )
    answer = amazon.get(
        f"{SEARCH}/{order['orderId']}", params={"includedData": ",".join(sorted(ALL_DATASETS))}
    )
    assert answer.status_code == 200
    check("orders_2026-01-01.json", "GetOrderResponse", answer.json())
    assert answer.json()["order"]["packages"][0]["packageReferenceId"] == "1"


def test_the_datasets_come_only_when_asked(sim: SimulatedAmazon, amazon: httpx.Client) -> None:
    populate(sim, 50)
    bare = amazon.get(SEARCH, params=window()).json()["orders"]
    keys = set().union(*(order.keys() for order in bare))
    assert {"buyer", "recipient", "proceeds", "fulfillment", "packages"}.isdisjoint(keys)
    assert all(order["orderItems"] for order in bare), "items are always embedded"
    assert all("fulfillment" not in item for order in bare for item in order["orderItems"])

    chosen = amazon.get(SEARCH, params=window(includedData="FULFILLMENT,PROCEEDS")).json()
    keys = set().union(*(order.keys() for order in chosen["orders"]))
    assert {"fulfillment", "proceeds"} <= keys
    assert {"buyer", "recipient"}.isdisjoint(keys), "no PII unless asked"


def test_the_recipient_is_there_only_for_orders_ready_to_ship(
    sim: SimulatedAmazon, amazon: httpx.Client
) -> None:
    pending = sim.add_order(status="PENDING", created=NOW - timedelta(hours=5))
    open_ = sim.add_order(status="UNSHIPPED", created=NOW - timedelta(hours=5))
    fba = sim.add_order(status="SHIPPED", fulfilled_by="AMAZON", created=NOW - timedelta(hours=5))
    orders = {
        o["orderId"]: o
        for o in amazon.get(SEARCH, params=window(includedData="RECIPIENT,PROCEEDS")).json()[
            "orders"
        ]
    }
    assert "recipient" not in orders[pending["orderId"]]
    assert "proceeds" not in orders[pending["orderId"]], "no price before payment"
    assert "phone" in orders[open_["orderId"]]["recipient"]["deliveryAddress"]
    assert "phone" not in orders[fba["orderId"]]["recipient"]["deliveryAddress"]


def test_v0_answers_match_the_v0_model(sim: SimulatedAmazon, amazon: httpx.Client) -> None:
    ids = populate(sim, 120)
    answer = amazon.get(
        "/orders/v0/orders",
        params={"LastUpdatedAfter": "2026-01-01T00:00:00Z", "MarketplaceIds": f"{US},{CA}"},
    )
    assert answer.status_code == 200
    check("ordersV0.json", "GetOrdersResponse", answer.json())
    assert len(answer.json()["payload"]["Orders"]) == 100
    assert answer.json()["payload"]["NextToken"]
    items = amazon.get(f"/orders/v0/orders/{ids[0]}/orderItems")
    assert items.status_code == 200
    check("ordersV0.json", "GetOrderItemsResponse", items.json())


@pytest.mark.parametrize(
    ("params", "status"),
    [
        (window(lastUpdatedBefore="2026-01-15T11:59:00Z"), 400),
        (window(createdAfter="2026-01-01T00:00:00Z"), 400),
        (window(marketplaceIds="ATVPDKIKX0DEX"), 400),
        (window(maxResultsPerPage="101"), 400),
        (window(paginationToken="not-a-token"), 400),
    ],
)
def test_error_bodies_match_the_model(
    amazon: httpx.Client, params: dict[str, Any], status: int
) -> None:
    answer = amazon.get(SEARCH, params=params)
    assert answer.status_code == status
    check("orders_2026-01-01.json", "ErrorList", answer.json())
    assert answer.json()["errors"][0]["code"] == "InvalidInput"
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    assert answer.headers["x-amzn-RequestId"]


def test_throttled_and_refused_answers_match_the_model(
    sim: SimulatedAmazon, amazon: httpx.Client
) -> None:
    sim.rate_limits.set("searchOrders", RateLimit(rate=0.0056, burst=1))
    assert amazon.get(SEARCH, params=window()).status_code == 200
    throttled = amazon.get(SEARCH, params=window())
    assert throttled.status_code == 429
    assert throttled.json() == {
        "errors": [
            {
                "code": "QuotaExceeded",
                "message": "You exceeded your quota for the requested resource.",
                "details": "",
            }
        ]
    }
    assert "retry-after" not in throttled.headers
    assert "x-amzn-RateLimit-Limit" not in throttled.headers, "not declared on a 429"
    check("orders_2026-01-01.json", "ErrorList", throttled.json())
    with httpx.Client(transport=sim.transport(), base_url=API) as client:
        anonymous = client.get(SEARCH, params=window())
    assert anonymous.status_code == 403
    check("orders_2026-01-01.json", "ErrorList", anonymous.json())


# -- requests against the models --------------------------------------------------------------


def _connector(sim: SimulatedAmazon, clock: FakeClock) -> Any:
    from orderhub_connectors.amazon import AmazonConnector, AmazonSettings

    settings = AmazonSettings(
        region="na",
        marketplace_ids=[US],
        client_id=sim.client_id,
        client_secret=sim.client_secret,
        refresh_token=sim.refresh_token,
    )
    return AmazonConnector(
        ConnectorContext(
            account_id="amazon-us",
            settings=settings,
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )


@pytest.mark.parametrize("carrier", ["UPS", "Other"])
def test_the_connectors_confirmation_request_matches_the_model(
    sim: SimulatedAmazon, clock: FakeClock, carrier: str
) -> None:
    order = sim.add_order(status="UNSHIPPED", items=[("CAP-NAVY", 2), ("MUG-WHITE-11OZ", 1)])
    connector = _connector(sim, clock)
    draft = ShipmentDraft(
        order_external_id=order["orderId"],
        reference="12",
        carrier_code=carrier,
        carrier_name="Local Courier" if carrier == "Other" else None,
        tracking_number="TRACK-0001",
        shipped_at=NOW - timedelta(hours=2),
        lines=(ShipmentLine(order["orderItems"][0]["orderItemId"], 1),),
        marketplace=US,
    )
    try:
        connector.push_tracking(draft)
    finally:
        connector.close()
    (request,) = sim.requests_to("/orders/v0/orders", method="POST")
    body = request.json()
    check("ordersV0.json", "ConfirmShipmentRequest", body)
    assert body == connector.confirmation_body(draft)
    # The schema check has teeth: a number where the model wants a string is refused...
    broken = copy.deepcopy(body)
    broken["packageDetail"]["packageReferenceId"] = 12
    with pytest.raises(jsonschema.ValidationError):
        check("ordersV0.json", "ConfirmShipmentRequest", broken)


def test_the_connectors_search_parameters_are_the_models(
    sim: SimulatedAmazon, clock: FakeClock
) -> None:
    connector = _connector(sim, clock)
    try:
        connector.check()
    finally:
        connector.close()
    operation = _model("orders_2026-01-01.json")["paths"][SEARCH]["get"]
    declared = {p["name"]: p for p in operation["parameters"]}
    (request,) = sim.requests_to(SEARCH)
    assert set(request.query) <= set(declared)
    for name in ("lastUpdatedAfter", "lastUpdatedBefore"):
        assert _is_date_time(request.param(name))


# -- sandbox examples -----------------------------------------------------------------------


def test_the_shipped_sandbox_examples_are_the_models() -> None:
    _model("orders_2026-01-01.json")  # skips when the models are missing
    extracted = extract_sandbox_examples(
        spec_file("amazon", "orders_2026-01-01.json", Path(__file__)).parent
    )
    assert list(sandbox_examples()) == extracted["examples"]
    operations = {(e["operation"], e["status"]) for e in extracted["examples"]}
    assert {("searchOrders", 200), ("confirmShipment", 204), ("confirmShipment", 400)} <= operations


@pytest.mark.parametrize(
    "example",
    sandbox_examples(),
    ids=[f"{e['operation']}-{e['status']}-{i}" for i, e in enumerate(sandbox_examples())],
)
def test_every_sandbox_example_is_served(
    sim: SimulatedAmazon, amazon: httpx.Client, example: dict[str, Any]
) -> None:
    path = example["path"]
    query: dict[str, str] = {}
    body = None
    for name, value in example["parameters"].items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(value))
        elif name == "body":
            body = value
        else:
            query[name] = ",".join(value) if isinstance(value, list) else str(value)
    answer = amazon.request(example["method"], path, params=query, json=body)
    assert answer.status_code == example["status"]
    if example["status"] == 204:
        assert answer.content == b""
    else:
        assert answer.json() == example["response"]


# -- searchOrders rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (window(lastUpdatedBefore="2026-01-15T11:58:01Z"), "at least 2 minutes"),
        ({"marketplaceIds": US}, "Exactly one of"),
        (window(createdBefore="2026-01-10T00:00:00Z"), "cannot be combined"),
        (window(lastUpdatedAfter="2026-01-15T11:55:00Z"), "must not be after"),
        (window(lastUpdatedAfter="yesterday"), "not an ISO 8601"),
        (window(lastUpdatedBefore="02/21/2026"), "not an ISO 8601"),
        (window(marketplaceIds="A1AM78C64UM0Y8"), "not registered in marketplace A1AM78C64UM0Y8"),
        (window(maxResultsPerPage="0"), "between 1 and 100"),
        (window(maxResultsPerPage="ten"), "must be an integer"),
        (window(includedData="FULFILLMENT,ADDRESS"), "includedData value: ADDRESS"),
        (window(fulfillmentStatuses="Shipped"), "fulfillmentStatuses value: Shipped"),
        (window(fulfilledBy="AFN"), "fulfilledBy value: AFN"),
    ],
)
def test_invalid_searches_are_refused_like_amazon(
    amazon: httpx.Client, params: dict[str, Any], fragment: str
) -> None:
    answer = amazon.get(SEARCH, params=params)
    assert answer.status_code == 400
    assert fragment in answer.json()["errors"][0]["message"]


def test_exactly_two_minutes_old_is_allowed(amazon: httpx.Client) -> None:
    answer = amazon.get(SEARCH, params=window(lastUpdatedBefore="2026-01-15T11:58:00Z"))
    assert answer.status_code == 200
    assert answer.json()["lastUpdatedBefore"] == "2026-01-15T11:58:00Z"


def test_filters_select_by_time_marketplace_status_and_channel(
    sim: SimulatedAmazon, amazon: httpx.Client
) -> None:
    early = sim.add_order(created=NOW - timedelta(days=3), marketplace_id=US)
    ca = sim.add_order(created=NOW - timedelta(days=1), marketplace_id=CA, status="PENDING")
    fba = sim.add_order(created=NOW - timedelta(days=1), fulfilled_by="AMAZON", status="SHIPPED")

    def ids(**params: Any) -> set[str]:
        answer = amazon.get(SEARCH, params=window(**params))
        assert answer.status_code == 200, answer.text
        return {o["orderId"] for o in answer.json()["orders"]}

    assert ids() == {early["orderId"], ca["orderId"], fba["orderId"]}
    assert ids(lastUpdatedAfter="2026-01-13T00:00:00Z") == {ca["orderId"], fba["orderId"]}
    assert ids(marketplaceIds=CA) == {ca["orderId"]}
    assert ids(fulfillmentStatuses="PENDING,SHIPPED") == {ca["orderId"], fba["orderId"]}
    assert ids(fulfilledBy="AMAZON") == {fba["orderId"]}
    # The bounds are inclusive ("at or after", "at or before").
    exact = early["lastUpdatedTime"]
    assert ids(lastUpdatedAfter=exact, lastUpdatedBefore=exact) == {early["orderId"]}
    created = amazon.get(SEARCH, params={"createdAfter": "2026-01-13T00:00:00Z"}).json()
    assert {o["orderId"] for o in created["orders"]} == {ca["orderId"], fba["orderId"]}
    assert "createdBefore" in created


def test_page_tokens_are_bound_to_the_filters_and_expire(
    sim: SimulatedAmazon, amazon: httpx.Client, clock: FakeClock
) -> None:
    populate(sim, 150)
    first = amazon.get(SEARCH, params=window(maxResultsPerPage="100")).json()
    token = first["pagination"]["nextToken"]
    other_filters = amazon.get(
        SEARCH, params=window(lastUpdatedAfter="2026-01-02T00:00:00Z", paginationToken=token)
    )
    assert other_filters.status_code == 400
    # maxResultsPerPage and includedData may change between pages (the model says so).
    second = amazon.get(
        SEARCH,
        params=window(paginationToken=token, maxResultsPerPage="20", includedData="PROCEEDS"),
    )
    assert second.status_code == 200 and len(second.json()["orders"]) == 20
    clock.advance(25 * 3600)
    amazon.headers["x-amz-access-token"] = token_for(sim, amazon)
    expired = amazon.get(SEARCH, params=window(paginationToken=token))
    assert expired.status_code == 400 and "expired" in expired.json()["errors"][0]["message"]


def test_paging_is_stable_while_orders_change(sim: SimulatedAmazon, amazon: httpx.Client) -> None:
    ids = populate(sim, 250)
    first = amazon.get(SEARCH, params=window()).json()
    seen = [o["orderId"] for o in first["orders"]]
    for order_id in seen[:30]:  # they leave the window while the client pages
        sim.cancel_order(order_id)
    token = first["pagination"]["nextToken"]
    while token:
        page = amazon.get(SEARCH, params=window(paginationToken=token)).json()
        seen += [o["orderId"] for o in page["orders"]]
        token = page.get("pagination", {}).get("nextToken")
    expected = [o for o in ids if sim.record(o).created <= NOW - timedelta(minutes=10)]
    assert len(seen) == len(set(seen)), "no order twice"
    assert set(expected) <= set(seen), "no order skipped"


# -- rate limits ------------------------------------------------------------------------------


def test_the_usage_plan_is_enforced_on_the_sim_clock(
    sim: SimulatedAmazon, amazon: httpx.Client, clock: FakeClock
) -> None:
    statuses = [amazon.get(SEARCH, params=window()).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    clock.advance(1 / 0.0056 - 1)
    assert amazon.get(SEARCH, params=window()).status_code == 429
    clock.advance(1)
    assert amazon.get(SEARCH, params=window()).status_code == 200
    assert sim.rate_limits.throttled == {"searchOrders": 2}


def test_rate_limits_can_be_switched_off(clock: FakeClock) -> None:
    sim = SimulatedAmazon(clock, enforce_rate_limits=False)
    with httpx.Client(transport=sim.transport(), base_url=API) as client:
        client.headers["x-amz-access-token"] = token_for(sim, client)
        params = window(marketplaceIds=US)
        assert all(client.get(SEARCH, params=params).status_code == 200 for _ in range(40))
        assert "x-amzn-RateLimit-Limit" not in client.get(SEARCH, params=params).headers


# -- Login with Amazon ------------------------------------------------------------------------


def test_tokens_expire_after_an_hour(
    sim: SimulatedAmazon, amazon: httpx.Client, clock: FakeClock
) -> None:
    assert amazon.get(SEARCH, params=window()).status_code == 200
    clock.advance(3600)
    expired = amazon.get(SEARCH, params=window())
    assert expired.status_code == 403
    assert expired.json()["errors"][0] == {
        "code": "Unauthorized",
        "message": "The access token you provided has expired.",
        "details": "",
    }


def test_lwa_refuses_revoked_and_wrong_credentials(sim: SimulatedAmazon) -> None:
    with httpx.Client(transport=sim.transport()) as client:
        url = "https://api.amazon.com/auth/o2/token"
        form = {
            "grant_type": "refresh_token",
            "refresh_token": sim.refresh_token,
            "client_id": sim.client_id,
            "client_secret": "wrong",
        }
        assert client.post(url, data=form).json()["error"] == "invalid_client"
        form["client_secret"] = sim.client_secret
        ok = client.post(url, data=form).json()
        assert ok["token_type"] == "bearer" and ok["expires_in"] == 3600
        assert ok["refresh_token"] == sim.refresh_token
        sim.revoke()
        refused = client.post(url, data=form)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
        with_old_token = client.get(
            API + SEARCH, params=window(), headers={"x-amz-access-token": ok["access_token"]}
        )
        assert with_old_token.status_code == 403


# -- confirmShipment --------------------------------------------------------------------------


def confirmation(order: dict[str, Any], **detail: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "marketplaceId": order["salesChannel"]["marketplaceId"],
        "packageDetail": {
            "packageReferenceId": "1",
            "carrierCode": "FedEx",
            "trackingNumber": "794612345678",
            "shipDate": "2026-01-15T10:00:00Z",
            "orderItems": [
                {"orderItemId": i["orderItemId"], "quantity": i["quantityOrdered"]}
                for i in order["orderItems"]
            ],
        },
    }
    body["packageDetail"].update(detail)
    return body


def confirm(amazon: httpx.Client, order: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
    return amazon.post(f"/orders/v0/orders/{order['orderId']}/shipmentConfirmation", json=body)


@pytest.mark.parametrize(
    ("detail", "fragment"),
    [
        ({"packageReferenceId": 1}, "invalid type [packageDetail.packageReferenceId]"),
        ({"packageReferenceId": "0"}, "must be a positive numeric value"),
        ({"packageReferenceId": "PKG-1"}, "must be a positive numeric value"),
        ({"shipDate": "02/21/2026"}, "[packageDetail.shipDate]"),
        ({"carrierCode": ""}, "[packageDetail.carrierCode]"),
        ({"carrierCode": "Pony Express"}, "[packageDetail.carrierCode]"),
        ({"carrierCode": "Other"}, "[packageDetail.carrierName]"),
        ({"trackingNumber": " "}, "[packageDetail.trackingNumber]"),
        ({"orderItems": []}, "[packageDetail.orderItems]"),
        ({"orderItems": [{"orderItemId": "1", "quantity": 1}]}, "orderItems[0].orderItemId]"),
    ],
)
def test_confirmations_are_validated_like_amazon(
    sim: SimulatedAmazon, amazon: httpx.Client, detail: dict[str, Any], fragment: str
) -> None:
    order = sim.add_order(status="UNSHIPPED", items=[("CAP-NAVY", 2)])
    answer = confirm(amazon, order, confirmation(order, **detail))
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["code"] == "InvalidInput" and fragment in error["message"]
    check("ordersV0.json", "ConfirmShipmentErrorResponse", answer.json())
    assert sim.packages(order["orderId"]) == []


def test_a_repeat_edits_the_package_and_quantities_are_checked(
    sim: SimulatedAmazon, amazon: httpx.Client, clock: FakeClock
) -> None:
    order = sim.add_order(status="UNSHIPPED", items=[("CAP-NAVY", 2), ("TOTE-NATURAL", 1)])
    cap, tote = (i["orderItemId"] for i in order["orderItems"])
    clock.advance(60)
    one_cap = confirmation(order, orderItems=[{"orderItemId": cap, "quantity": 1}])
    assert confirm(amazon, order, one_cap).status_code == 204
    assert sim.record(order["orderId"]).status == "PARTIALLY_SHIPPED"
    assert sim.order(order["orderId"])["lastUpdatedTime"] == "2026-01-15T12:01:00Z"
    # The same reference with the whole cap quantity edits package 1 (room = 1 left + 1 in it).
    both_caps = confirmation(order, orderItems=[{"orderItemId": cap, "quantity": 2}])
    assert confirm(amazon, order, both_caps).status_code == 204
    assert len(sim.packages(order["orderId"])) == 1
    too_many = confirmation(
        order, packageReferenceId="2", orderItems=[{"orderItemId": cap, "quantity": 1}]
    )
    refused = confirm(amazon, order, too_many)
    assert refused.status_code == 400 and "quantity" in refused.json()["errors"][0]["message"]
    rest = confirmation(
        order, packageReferenceId="2", orderItems=[{"orderItemId": tote, "quantity": 1}]
    )
    assert confirm(amazon, order, rest).status_code == 204
    assert sim.record(order["orderId"]).status == "SHIPPED"
    after = confirm(amazon, order, confirmation(order, packageReferenceId="3"))
    assert after.status_code == 400
    assert "PackageToUpdateNotFound" in after.json()["errors"][0]["message"]
    assert [p["packageReferenceId"] for p in sim.packages(order["orderId"])] == ["1", "2"]


def test_confirmation_of_orders_that_cannot_ship(
    sim: SimulatedAmazon, amazon: httpx.Client
) -> None:
    fba = sim.add_order(status="SHIPPED", fulfilled_by="AMAZON")
    assert "fulfilled by Amazon" in confirm(amazon, fba, confirmation(fba)).text
    cancelled = sim.add_order(status="CANCELLED")
    assert "CANCELLED" in confirm(amazon, cancelled, confirmation(cancelled)).text
    wrong_market = sim.add_order(status="UNSHIPPED")
    body = confirmation(wrong_market)
    body["marketplaceId"] = CA
    assert "[marketplaceId]" in confirm(amazon, wrong_market, body).text
    unknown = amazon.post(
        "/orders/v0/orders/111-0000000-0000000/shipmentConfirmation", json=confirmation(fba)
    )
    assert unknown.status_code == 404


# -- orders over time -------------------------------------------------------------------------


def test_generate_is_seeded_and_realistic(clock: FakeClock) -> None:
    a = SimulatedAmazon(clock, seed=5, marketplace_ids=(US, CA))
    b = SimulatedAmazon(clock, seed=5, marketplace_ids=(US, CA))
    ids = a.generate(400, start=NOW - timedelta(days=4), spread=timedelta(days=3))
    assert ids == b.generate(400, start=NOW - timedelta(days=4), spread=timedelta(days=3))
    assert a.order(ids[7]) == b.order(ids[7])
    records = [a.record(i) for i in ids]
    assert {r.status for r in records} >= {"SHIPPED", "UNSHIPPED", "PENDING", "CANCELLED"}
    assert 0.2 < sum(r.fulfilled_by == "AMAZON" for r in records) / len(records) < 0.4
    assert {r.marketplace_id for r in records} == {US, CA}
    assert all(len(i.split("-")) == 3 for i in ids)
    assert all(r.modified <= NOW for r in records)


@pytest.mark.parametrize(
    "kind",
    ["missing_fulfillment_status", "missing_last_updated", "quantity_not_integer", "bad_amount"],
)
def test_malformed_orders_are_listed_and_broken(
    sim: SimulatedAmazon, amazon: httpx.Client, kind: Any
) -> None:
    bad = sim.add_malformed_order(kind, created=NOW - timedelta(hours=1))
    listed = amazon.get(SEARCH, params=window(includedData="FULFILLMENT,PROCEEDS")).json()
    assert [o["orderId"] for o in listed["orders"]] == [bad["orderId"]]
    if kind == "bad_amount":  # the model types amounts as strings: only the digits are wrong
        assert listed["orders"][0]["proceeds"]["grandTotal"]["amount"] == "twelve dollars"
    else:
        with pytest.raises(jsonschema.ValidationError):
            check("orders_2026-01-01.json", "SearchOrdersResponse", listed)


def test_the_live_feed_brings_new_and_changed_orders(
    sim: SimulatedAmazon, clock: FakeClock
) -> None:
    ids = populate(sim, 40)
    before = {i: sim.record(i).status for i in ids}
    feed = sim.start_live(new_per_hour=60, changes_per_hour=120)
    clock.advance(6 * 3600)
    assert feed.catch_up() > 0  # the simulator also catches up before every request
    assert len(sim.order_ids()) > 40 + 200
    changed = [i for i in ids if sim.record(i).status != before[i]]
    assert changed


def test_a_cancellation_moves_last_updated(sim: SimulatedAmazon, clock: FakeClock) -> None:
    order = sim.add_order(status="UNSHIPPED", created=NOW - timedelta(hours=2))
    clock.advance(30)
    cancelled = sim.cancel_order(order["orderId"], by="MERCHANT")
    assert cancelled["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    assert cancelled["lastUpdatedTime"] == "2026-01-15T12:00:30Z"
    cancellation = cancelled["orderItems"][0]["cancellation"]["cancellationExecution"]
    assert cancellation["cancelledBy"] == "MERCHANT"


def test_faults_and_a_real_socket(sim: SimulatedAmazon) -> None:
    populate(sim, 10)
    sim.faults.add(Fault.status(503), path=SEARCH)
    with sim.serve() as server, httpx.Client(base_url=server.base_url) as client:
        client.headers["x-amz-access-token"] = token_for(sim, client, server.base_url)
        failed = client.get(SEARCH, params=window())
        assert failed.status_code == 503
        assert failed.json()["errors"][0]["code"] == "ServiceUnavailable"
        ok = client.get(SEARCH, params=window())
        assert ok.status_code == 200 and len(ok.json()["orders"]) == 10
    assert sim.handler_errors == []

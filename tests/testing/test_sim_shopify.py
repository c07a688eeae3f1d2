"""The simulated Shopify store: query cost and throttling as documented, GraphQL validation,
tokens, versions, visibility and the fulfillment rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderhub.sims.shopify import PLANS, SimulatedShopify
from orderhub.testing import FakeClock
from orderhub_connectors.shopify import queries as q

TOKEN = "shpat_sim_test_token_0123456789"
URL = "/admin/api/2026-10/graphql.json"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedShopify:
    return SimulatedShopify(clock, access_token=TOKEN, seed=2)


@pytest.fixture
def client(sim: SimulatedShopify) -> httpx.Client:
    return httpx.Client(transport=sim.transport(), base_url="https://orderhub-demo.myshopify.com")


def ask(
    client: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    version: str = "2026-10",
) -> httpx.Response:
    return client.post(
        f"/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": TOKEN},
    )


def cost(response: httpx.Response) -> dict[str, Any]:
    return response.json()["extensions"]["cost"]


@pytest.mark.parametrize(
    ("document", "variables", "requested"),
    [
        (q.orders_query(True), {"first": q.ORDERS_PER_PAGE, "query": ""}, 955),
        (q.orders_query(False), {"first": q.ORDERS_PER_PAGE, "query": ""}, 2 + 14 * 66 + 1),
        (q.ORDER_LINES, {"id": "gid://shopify/Order/1"}, 604),
        (q.FULFILLMENT_STATE, {"id": "gid://shopify/Order/1"}, 698),
        (q.VARIANTS, {}, 503),
        (q.SHOP, {}, 1),
    ],
)
def test_requested_costs_follow_the_documented_rules(
    client: httpx.Client, document: str, variables: dict[str, Any], requested: int
) -> None:
    assert cost(ask(client, document, variables))["requestedQueryCost"] == requested


def test_actual_cost_counts_what_came_back_and_the_difference_is_refunded(
    client: httpx.Client, sim: SimulatedShopify
) -> None:
    sim.add_order(lines=[("MUG-STONE", 1), ("BEANIE-GREY", 2)])
    answer = cost(ask(client, q.orders_query(True), {"first": 14, "query": ""}))
    # 2 + one order (1 + money 2 + two addresses 2 + lines 2 + 2 x 6 + pageInfo 1) + pageInfo 1
    assert answer["actualQueryCost"] == 2 + (1 + 2 + 2 + 2 + 12 + 1) + 1
    status = answer["throttleStatus"]
    assert status == {
        "maximumAvailable": 2000.0,
        "restoreRate": 100.0,
        "currentlyAvailable": 2000.0 - answer["actualQueryCost"],
    }


def test_a_query_the_bucket_cannot_cover_is_throttled_without_running(
    client: httpx.Client, sim: SimulatedShopify, clock: FakeClock
) -> None:
    assert sim.bucket.spend(1500)
    response = ask(client, q.orders_query(True), {"first": 14, "query": ""})
    body = response.json()
    assert response.status_code == 200 and "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 500.0
    clock.advance(4.55)  # 455 points restored: 955 available
    assert "data" in ask(client, q.orders_query(True), {"first": 14, "query": ""}).json()


def test_plans_restore_at_the_published_rates() -> None:
    assert {name: plan.restore_rate for name, plan in PLANS.items()} == {
        "standard": 100.0,
        "advanced": 200.0,
        "plus": 1000.0,
        "enterprise": 2000.0,
    }


def test_a_query_above_1000_points_is_refused(client: httpx.Client) -> None:
    body = ask(
        client, "{ orders(first: 250) { nodes { lineItems(first: 5) { nodes { id } } } } }"
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["errors"][0]["extensions"]["cost"] == 2 + 250 * (1 + 2 + 5)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{ shop { nme } }", "Cannot query field 'nme' on type 'Shop'"),
        ("{ orders(first: 5) { nodes { id }", "Syntax Error"),
        ("{ orders(first: 5, sortKey: NEWEST) { nodes { id } } }", "NEWEST"),
        ("{ orders(first: 300) { nodes { id } } }", "between 0 and 250"),
        ("{ orders { nodes { id } } }", "you must provide one of first or last"),
    ],
)
def test_malformed_queries_fail_with_errors(
    client: httpx.Client, document: str, message: str
) -> None:
    response = ask(client, document)
    assert response.status_code == 200
    assert message in response.json()["errors"][0]["message"]


def test_tokens_expire_on_the_clock_and_bad_credentials_are_refused(
    sim: SimulatedShopify, client: httpx.Client, clock: FakeClock
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
    }
    issued = client.post("/admin/oauth/access_token", data=form).json()
    assert issued["expires_in"] == 86399 and "read_orders" in issued["scope"]
    headers = {"X-Shopify-Access-Token": issued["access_token"]}
    assert client.post(URL, json={"query": q.SHOP}, headers=headers).status_code == 200
    clock.advance(86400)
    expired = client.post(URL, json={"query": q.SHOP}, headers=headers)
    assert (
        expired.status_code == 401 and "Invalid API key or access token" in expired.json()["errors"]
    )
    refused = client.post("/admin/oauth/access_token", data={**form, "client_secret": "nope"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"


def test_an_unserved_version_falls_back_and_says_so(
    sim: SimulatedShopify, client: httpx.Client
) -> None:
    sim.deprecated.add("2026-01")
    response = ask(client, q.SHOP, version="2024-07")
    assert response.headers["X-Shopify-API-Version"] == "2026-01"
    assert "deprecation" in response.headers["X-Shopify-API-Deprecated-Reason"]


def test_orders_older_than_60_days_need_read_all_orders(
    sim: SimulatedShopify, client: httpx.Client, clock: FakeClock
) -> None:
    sim.add_order(created=clock.now() - timedelta(days=61))
    sim.add_order(created=clock.now() - timedelta(days=59))
    document = "{ orders(first: 5) { nodes { id } } }"
    assert len(ask(client, document).json()["data"]["orders"]["nodes"]) == 1
    sim.scopes.add("read_all_orders")
    assert len(ask(client, document).json()["data"]["orders"]["nodes"]) == 2


def test_updated_at_search_and_cursor_paging(
    sim: SimulatedShopify, client: httpx.Client, clock: FakeClock
) -> None:
    ids = sim.generate(30, spread=timedelta(hours=10))
    start = (clock.now() - timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    seen: list[str] = []
    after = None
    while True:
        page = ask(
            client,
            "query($a: String, $q: String) { orders(first: 7, after: $a, "
            "sortKey: UPDATED_AT, query: $q) { nodes { id updatedAt } pageInfo "
            "{ hasNextPage endCursor } } }",
            {"a": after, "q": f"updated_at:>='{start}'"},
        ).json()["data"]["orders"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(f"gid://shopify/Order/{i}" for i in ids)


def test_fulfillment_rules(sim: SimulatedShopify, client: httpx.Client) -> None:
    order = sim.add_order(lines=[("MUG-STONE", 2), ("BEANIE-GREY", 1)], locations=2)
    a, b = sim.fulfillment_orders(order)
    create = (
        "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) "
        "{ fulfillment { id } userErrors { field message } } }"
    )

    def fulfil(*groups: dict[str, Any]) -> dict[str, Any]:
        variables = {"f": {"lineItemsByFulfillmentOrder": list(groups)}}
        return ask(client, create, variables).json()["data"]["fulfillmentCreate"]

    def group(fo: Any, quantity: int) -> dict[str, Any]:
        return {
            "fulfillmentOrderId": f"gid://shopify/FulfillmentOrder/{fo.id}",
            "fulfillmentOrderLineItems": [
                {
                    "id": f"gid://shopify/FulfillmentOrderLineItem/{fo.lines[0].id}",
                    "quantity": quantity,
                }
            ],
        }

    assert "same location" in fulfil(group(a, 1), group(b, 1))["userErrors"][0]["message"]
    assert "quantity" in fulfil(group(a, 3))["userErrors"][0]["message"]
    assert fulfil(group(a, 2))["userErrors"] == []
    assert a.status == "CLOSED"
    assert "unfulfillable status= closed" in fulfil(group(a, 1))["userErrors"][0]["message"]
    assert (
        cost(ask(client, create, {"f": {"lineItemsByFulfillmentOrder": [group(b, 1)]}}))[
            "requestedQueryCost"
        ]
        == 10
    )

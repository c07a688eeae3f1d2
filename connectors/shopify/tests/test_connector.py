"""The Shopify connector against the simulated store: tokens, API versions, the 60-day
window, throttling by query cost, GraphQL errors, tracking out and the catalog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine

from orderhub.matching import sync_catalog
from orderhub.sdk import (
    AuthError,
    ConfigError,
    PushOutcome,
    RateLimitedError,
    RejectedError,
    ShipmentDraft,
    ShipmentLine,
    SyncWindow,
    TransientError,
)
from orderhub.sims.shopify import SimulatedShopify
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault
from orderhub_connectors.shopify import ShopifyConnector

# The simulated store's credentials (as in conftest.py, which pytest does not make importable).
CLIENT_ID = "3f6c1e0b9a2d4c7e8f1a5b6c7d8e9f01"
LEGACY_TOKEN = "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"
ConnectorFactory = Callable[..., ShopifyConnector]
GRAPHQL = "/api/2026-10/graphql.json"
TOKEN = "/oauth/access_token"


def recent(clock: FakeClock, days: float = 3) -> SyncWindow:
    return SyncWindow(start=clock.now() - timedelta(days=days), end=clock.now())


def shipment(
    order: int | str,
    lines: dict[int, int],
    tracking: str = "1Z999AA10123456784",
    carrier: str = "UPS",
    name: str | None = None,
) -> ShipmentDraft:
    return ShipmentDraft(
        order_external_id=str(order),
        reference=f"ref-{order}-{tracking}",
        carrier_code=carrier,
        carrier_name=name,
        tracking_number=tracking,
        shipped_at=FakeClock().now(),
        lines=tuple(ShipmentLine(str(line), units) for line, units in lines.items()),
    )


def mutations(sim: SimulatedShopify, name: str) -> int:
    return sum(name.encode() in r.body for r in sim.requests_to(GRAPHQL))


# -- auth and versions ---------------------------------------------------------------------


def test_client_credentials_token_is_cached_renewed_before_expiry_and_once_on_401(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    connector = make_connector()
    connector.check()
    connector.check()
    assert sim.tokens_issued == 1
    sent = sim.requests_to(GRAPHQL)[-1].headers["x-shopify-access-token"]
    assert sent.startswith("shpat_")
    clock.advance(23 * 3600 + 55 * 60)  # within the renewal margin of the 24 h token
    connector.check()
    assert sim.tokens_issued == 2
    sim.expire_tokens()  # revoked behind the cache's back: one 401, one renewal
    connector.check()
    assert sim.tokens_issued == 3
    assert [r.status for r in sim.requests_to(GRAPHQL)][-2:] == [401, 200]


def test_legacy_token_is_sent_as_is_and_no_token_is_requested(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    connector = make_connector(client_id=None, client_secret=None, access_token=LEGACY_TOKEN)
    connector.check()
    assert sim.requests_to(TOKEN) == []
    assert sim.requests_to(GRAPHQL)[0].headers["x-shopify-access-token"] == LEGACY_TOKEN


def test_wrong_client_secret_is_an_auth_error_naming_the_fix(
    make_connector: ConnectorFactory,
) -> None:
    with pytest.raises(AuthError) as caught:
        make_connector(client_secret="shpss_wrong_wrong_wrong").check()
    assert "client_id" in caught.value.fix and "installed" in caught.value.fix


def test_settings_refuse_missing_credentials_and_odd_versions() -> None:
    with pytest.raises(ValueError, match="client_id and client_secret_env"):
        ShopifyConnector.settings_model(shop="x")
    with pytest.raises(ValueError, match="quarterly"):
        ShopifyConnector.settings_model(shop="x", access_token="t", api_version="2026-05")
    settings = ShopifyConnector.settings_model(shop="My-Store.myshopify.com", access_token="t")
    assert settings.origin == "https://my-store.myshopify.com"


def test_an_api_base_url_is_an_origin_and_plain_http_only_to_this_machine() -> None:
    model = ShopifyConnector.settings_model
    local = model(shop="x", access_token="t", api_base_url="http://127.0.0.1:8080/admin/x")
    assert local.origin == "http://127.0.0.1:8080"
    proxy = model(shop="x", access_token="t", api_base_url="https://proxy.example/")
    assert proxy.origin == "https://proxy.example"
    # The access token would cross the network in clear text.
    with pytest.raises(ValueError, match="https://"):
        model(shop="x", access_token="t", api_base_url="http://proxy.example")


def test_served_version_and_deprecation_are_warned_once(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    sim.deprecated.add("2026-01")
    events: list[dict[str, Any]] = []
    log = structlog.wrap_logger(None, processors=[lambda _l, _m, e: events.append(e) or ""])
    connector = make_connector(api_version="2025-10", log=log)  # no longer served
    connector.check()
    connector.check()
    warned = [e for e in events if e["event"] == "shopify.api_version"]
    (warning,) = warned  # the fallback and the deprecation of what was served, once
    assert warning["pinned"] == "2025-10" and warning["served"] == "2026-01"
    assert "deprecation" in str(warning["deprecated"])


# -- orders in -----------------------------------------------------------------------------


def test_a_long_order_gets_every_line(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    skus = [
        "LINEN-SAND-S",
        "LINEN-SAND-M",
        "LINEN-SAND-L",
        "BEANIE-GREY",
        "MUG-STONE",
        "JOURNAL-A5-DOT",
        "JOURNAL-A5-LINE",
        "CARD-LEATHER",
    ]
    order = sim.add_order(lines=[(sku, 1) for sku in skus] + [(f"X-{n}", 1) for n in range(7)])
    connector = make_connector()
    (raw,) = list(connector.fetch_orders(recent(clock)))
    draft = connector.to_order(raw)
    assert [line.external_id for line in draft.lines] == [str(i) for i in sim.line_ids(order)]
    assert mutations(sim, "OrderLines") == 1


def test_sync_older_than_60_days_needs_read_all_orders(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    old = sim.add_order(created=clock.now() - timedelta(days=80))
    window = SyncWindow(clock.now() - timedelta(days=90), clock.now())
    with pytest.raises(ConfigError) as caught:
        list(make_connector().fetch_orders(window))
    assert "read_all_orders" in caught.value.message and "60 days" in caught.value.message
    sim.scopes.add("read_all_orders")
    ids = [raw["id"] for raw in make_connector().fetch_orders(window)]
    assert ids == [f"gid://shopify/Order/{old}"]


def test_recent_windows_do_not_ask_for_scopes(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    sim.add_order()
    list(make_connector().fetch_orders(recent(clock)))
    assert mutations(sim, "currentAppInstallation") == 0


# -- throttling ----------------------------------------------------------------------------


def test_a_throttled_backfill_meets_no_throttled_answer_in_steady_state(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    sim.generate(1500, spread=timedelta(days=2))
    assert sim.bucket.spend(1900)  # another process of the app emptied the bucket
    started = clock.monotonic()
    raws = list(make_connector().fetch_orders(recent(clock)))
    assert len(raws) == 1500
    answers = [throttled for name, throttled in sim.answers if name == "Orders"]
    assert len(answers) >= 1500 // 14
    # The first query meets the emptied bucket and is retried after the refill it names;
    # from then on the connector knows the bucket and waits before sending instead.
    assert answers[0] is True and not any(answers[1:])
    assert clock.monotonic() - started >= (955 - 100) / 100.0


def test_throttled_with_http_429_is_rate_limited_and_retried_after_the_refill(
    clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    sim = SimulatedShopify(
        clock,
        shop="test-shop",
        client_id=CLIENT_ID,
        client_secret="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",
        throttle_status=429,
    )
    sim.add_order()
    connector = make_connector(transport=sim.transport())
    assert sim.bucket.spend(1995)  # drained behind the connector's back
    before = clock.monotonic()
    raws = list(connector.fetch_orders(recent(clock)))
    assert len(raws) == 1 and sim.throttled == 1
    assert clock.monotonic() - before >= (955 - 5) / 100.0  # waited for the refill, once


def test_throttled_answer_is_a_rate_limited_error_with_the_refill_time(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    sim.add_order()
    sim.faults.add(
        Fault.respond(
            __import__("orderhub.testing.sim", fromlist=["SimResponse"]).SimResponse.json(
                200,
                {
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": 955,
                            "actualQueryCost": None,
                            "throttleStatus": {
                                "maximumAvailable": 2000.0,
                                "currentlyAvailable": 455.0,
                                "restoreRate": 100.0,
                            },
                        }
                    },
                },
            )
        ),
        path=GRAPHQL,
        times=5,
        where=lambda r: b"query Orders" in r.body,
    )
    connector = make_connector()
    before = clock.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        list(connector.fetch_orders(recent(clock)))
    assert caught.value.retry_after == pytest.approx(5.0)
    assert clock.monotonic() - before >= 5.0 * (connector.retry_policy.max_attempts - 1)


# -- GraphQL errors ------------------------------------------------------------------------


def test_a_malformed_query_fails_as_on_shopify_and_is_not_retried(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    connector = make_connector()
    with pytest.raises(RejectedError) as caught:
        connector._graphql("read", "query Bad { shop { nme } }", {})
    assert "Cannot query field 'nme' on type 'Shop'" in caught.value.message
    assert len(sim.requests_to(GRAPHQL)) == 1
    with pytest.raises(RejectedError, match="MAX_COST_EXCEEDED"):
        connector._graphql(
            "read", "{ orders(first: 250) { nodes { lineItems(first: 10) { nodes { id } } } } }", {}
        )


def test_missing_scope_is_an_auth_error(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    sim.scopes.discard("read_orders")
    with pytest.raises(AuthError) as caught:
        list(make_connector().fetch_orders(recent(clock)))
    assert "read_orders" in caught.value.message and "Dev Dashboard" in caught.value.fix


def test_internal_errors_are_transient(
    make_connector: ConnectorFactory, sim: SimulatedShopify, clock: FakeClock
) -> None:
    body = {
        "errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    }
    from orderhub.testing.sim import SimResponse

    sim.faults.add(Fault.respond(SimResponse.json(200, body)), path=GRAPHQL, times=None)
    with pytest.raises(TransientError):
        list(make_connector().fetch_orders(recent(clock)))


# -- tracking out --------------------------------------------------------------------------


def test_a_push_retried_after_a_lost_answer_leaves_exactly_one_fulfillment(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(lines=[("MUG-STONE", 2)])
    (line,) = sim.line_ids(order)
    sim.faults.add(
        Fault.timeout(processed=True), path=GRAPHQL, where=lambda r: b"fulfillmentCreate" in r.body
    )
    connector = make_connector()
    with pytest.raises(TransientError):
        connector.push_tracking(shipment(order, {line: 2}))
    again = connector.push_tracking(shipment(order, {line: 2}))
    assert again.outcome is PushOutcome.ALREADY_APPLIED
    assert len(sim.fulfillments(order)) == 1
    assert mutations(sim, "fulfillmentCreate") == 1


def test_partial_shipments_across_two_fulfillment_orders(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(
        lines=[("LINEN-SAND-S", 2), ("BEANIE-GREY", 1), ("MUG-STONE", 1)], locations=2
    )
    first, second, third = sim.line_ids(order)
    assert len({fo.location_id for fo in sim.fulfillment_orders(order)}) == 2
    connector = make_connector()
    # One unit of a line at each location: one fulfillment per fulfillment order.
    result = connector.push_tracking(shipment(order, {first: 1, second: 1}, "1Z999AA10000000001"))
    assert result.outcome is PushOutcome.APPLIED
    made = sim.fulfillments(order)
    assert [f["lines"] for f in made] == [{first: 1}, {second: 1}]
    assert {f["tracking"][0] for f in made} == {"1Z999AA10000000001"}
    # The rest in a second parcel; then the order is fulfilled.
    connector.push_tracking(shipment(order, {first: 1, third: 1}, "1Z999AA10000000002"))
    assert len(sim.fulfillments(order)) == 3
    assert sim.store.require(order).fulfillment_status == "FULFILLED"
    assert {fo.status for fo in sim.fulfillment_orders(order)} == {"CLOSED"}
    again = connector.push_tracking(shipment(order, {first: 1, second: 1}, "1Z999AA10000000001"))
    assert again.outcome is PushOutcome.ALREADY_APPLIED


def test_a_half_applied_push_sends_only_the_rest(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(lines=[("LINEN-SAND-M", 3)])
    (line,) = sim.line_ids(order)
    sim.fulfill(order, {line: 2}, tracking="1Z999AA10123456784", company="UPS")
    make_connector().push_tracking(shipment(order, {line: 3}))
    assert [f["lines"] for f in sim.fulfillments(order)] == [{line: 2}, {line: 1}]


def test_a_cancelled_order_is_a_conflict_and_nothing_is_created(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(lines=[("MUG-STONE", 1)])
    (line,) = sim.line_ids(order)
    sim.cancel(order)
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, {line: 1}))
    assert caught.value.code == "conflict"
    assert "cancelled" in caught.value.message and "shipments cancel" in caught.value.fix
    assert sim.fulfillments(order) == [] and mutations(sim, "fulfillmentCreate") == 0


def test_a_closed_fulfillment_order_is_a_conflict(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(lines=[("MUG-STONE", 1), ("BEANIE-GREY", 1)])
    first, second = sim.line_ids(order)
    sim.fulfill(order, {first: 1}, tracking="JD014600000000000001")
    with pytest.raises(RejectedError, match=r"in_progress|closed") as caught:
        make_connector().push_tracking(shipment(order, {first: 1, second: 1}))
    assert caught.value.code == "conflict"
    assert len(sim.fulfillments(order)) == 1


def test_an_on_hold_fulfillment_order_is_refused(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(lines=[("MUG-STONE", 1)])
    (line,) = sim.line_ids(order)
    sim.set_fulfillment_order_status(order, "ON_HOLD")
    with pytest.raises(RejectedError, match="on_hold"):
        make_connector().push_tracking(shipment(order, {line: 1}))


def test_a_new_tracking_number_for_the_same_lines_corrects_the_fulfillment(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    order = sim.add_order(lines=[("MUG-STONE", 2)])
    (line,) = sim.line_ids(order)
    connector = make_connector()
    connector.push_tracking(shipment(order, {line: 2}, "1Z999AA10000000009"))
    fixed = connector.push_tracking(shipment(order, {line: 2}, "1Z999AA10000000010"))
    assert fixed.outcome is PushOutcome.APPLIED and fixed.detail == {"corrected": True}
    (only,) = sim.fulfillments(order)
    assert only["tracking"] == ["1Z999AA10000000010"]
    assert mutations(sim, "fulfillmentTrackingInfoUpdate") == 1


def test_carriers_use_shopify_spellings_and_other_keeps_the_name_given(
    make_connector: ConnectorFactory, sim: SimulatedShopify
) -> None:
    from orderhub.shipping.carriers import channel_code, resolve_carrier

    assert channel_code(resolve_carrier("DHL"), "shopify") == "DHL Express"
    assert channel_code(resolve_carrier("japan post"), "shopify") == "Japan Post (EN)"
    order = sim.add_order(lines=[("MUG-STONE", 1)])
    (line,) = sim.line_ids(order)
    make_connector().push_tracking(
        shipment(order, {line: 1}, "LOCAL123456", carrier="Other", name="Bike Courier Köln")
    )
    assert sim.fulfillments(order)[0]["companies"] == ["Bike Courier Köln"]


def test_an_unknown_order_is_refused(make_connector: ConnectorFactory) -> None:
    with pytest.raises(RejectedError, match="not on Shopify"):
        make_connector().push_tracking(shipment(424242, {1: 1}))


# -- catalog -------------------------------------------------------------------------------


def test_catalog_sync_reads_every_variant_with_sku_barcode_and_ids(
    make_connector: ConnectorFactory, sim: SimulatedShopify, sqlite_engine: Engine, clock: FakeClock
) -> None:
    result = sync_catalog(sqlite_engine, make_connector(), clock.now())
    assert result.products == 9
    assert len(result.skipped) == 1 and "Gift Wrapping" in result.skipped[0]  # no SKU
    assert result.counts.created == 8
    records = {r["sku"]: r for r in make_connector().fetch_products() if r["sku"]}
    assert records["MUG-STONE"]["gtin"] == "5012345678900"
    assert records["MUG-STONE"]["identifiers"] == {"shopify_variation": "44021"}


def test_sync_since_older_than_60_days_fails_saying_why_and_stores_nothing(
    make_connector: ConnectorFactory, sim: SimulatedShopify, sqlite_engine: Engine, clock: FakeClock
) -> None:
    from orderhub.sync.pull import PullRunner

    sim.add_order(created=clock.now() - timedelta(days=70))
    sim.add_order(created=clock.now() - timedelta(days=2))
    result = PullRunner(sqlite_engine, make_connector(), trigger="cli").run(
        since=clock.now() - timedelta(days=90)
    )
    assert result.outcome == "failed" and result.error_kind == "config"
    assert "read_all_orders" in str(result.error) and "Dev Dashboard" in str(result.fix)
    assert result.fetched == 0 and result.counts.created == 0

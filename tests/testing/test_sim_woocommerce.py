"""The simulated WooCommerce, checked against the official documentation copied in
``tests/specs/woocommerce`` and through real HTTP requests (in-process and over a
socket on 127.0.0.1)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderhub.sdk.ratelimit import RateLimit
from orderhub.sims.woocommerce import CATALOG, WOO_STATUSES, SimulatedWooCommerce
from orderhub.testing.clock import FakeClock
from orderhub.testing.sim import Fault
from orderhub.testing.specs import missing, spec_file

API = "/wp-json/wc/v3"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
WALL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _doc_example(filename: str, heading: str) -> Any:
    """The first JSON example under ``heading`` in one of the documentation pages."""
    path = spec_file("woocommerce", filename, Path(__file__))
    if not path.exists():
        pytest.skip(missing("woocommerce", filename, Path(__file__)))
    text = path.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None, f"no JSON example under {heading!r}"
    return json.loads(block.group(1))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedWooCommerce:
    return SimulatedWooCommerce(clock, seed=42)


@pytest.fixture
def woo(sim: SimulatedWooCommerce) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sim.transport(),
        base_url="https://shop.example" + API,
        auth=("ck_test", "cs_test"),
    ) as client:
        yield client


@pytest.fixture(params=["in-process", "server"])
def either(request: pytest.FixtureRequest, sim: SimulatedWooCommerce) -> Iterator[httpx.Client]:
    """The store reached both ways."""
    if request.param == "in-process":
        with httpx.Client(
            transport=sim.transport(),
            base_url="https://shop.example" + API,
            auth=("ck_test", "cs_test"),
        ) as client:
            yield client
    else:
        with (
            sim.serve() as server,
            httpx.Client(base_url=server.base_url + API, auth=("ck_test", "cs_test")) as client,
        ):
            yield client


def _links(response: httpx.Response) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    }


# -- shapes against the documentation --------------------------------------------------------


def test_order_has_exactly_the_documented_keys(
    sim: SimulatedWooCommerce, woo: httpx.Client
) -> None:
    example = _doc_example("wc-v3-orders.md", "## Retrieve an order ##")
    sim.add_order(lines=[("BLUE-TEE-M", 2), ("MUG-WHITE", 1)], customer_id=26)
    order = woo.get("/orders").json()[0]
    assert set(order) == set(example)
    for key in ("billing", "shipping", "_links"):
        assert set(order[key]) <= set(example[key]) | {"customer"}, key
        assert set(example[key]) <= set(order[key]), key
    for key in ("line_items", "tax_lines", "shipping_lines", "meta_data"):
        assert set(order[key][0]) == set(example[key][0]), key
    assert set(order["line_items"][0]["taxes"][0]) == set(example["line_items"][0]["taxes"][0])


def test_order_value_formats_follow_the_introduction(
    woo: httpx.Client, sim: SimulatedWooCommerce
) -> None:
    sim.generate(60, spread=timedelta(days=3))
    orders = woo.get("/orders", params={"per_page": 60}).json()
    for order in orders:
        assert isinstance(order["id"], int) and isinstance(order["customer_id"], int)
        for key in ("date_created", "date_created_gmt", "date_modified", "date_modified_gmt"):
            assert WALL.match(order[key]), (key, order[key])
        local = datetime.fromisoformat(order["date_created"])
        gmt = datetime.fromisoformat(order["date_created_gmt"])
        assert local - gmt == timedelta(hours=2)  # site timezone +02:00
        for key in ("total", "total_tax", "shipping_total", "cart_tax", "discount_total"):
            assert MONEY.match(order[key]), (key, order[key])
        lines_total = sum(Decimal(line["total"]) for line in order["line_items"])
        assert Decimal(order["total"]) == lines_total + Decimal(order["shipping_total"]) + Decimal(
            order["total_tax"]
        )
        assert order["status"] in WOO_STATUSES
        for line in order["line_items"]:
            assert isinstance(line["quantity"], int) and line["quantity"] >= 1
            assert MONEY.match(line["subtotal"]) and MONEY.match(line["total"])
        if order["status"] in ("processing", "completed", "refunded"):
            assert order["date_paid_gmt"] is not None
        if order["status"] == "completed":
            assert order["date_completed_gmt"] is not None


def test_note_has_exactly_the_documented_keys(sim: SimulatedWooCommerce, woo: httpx.Client) -> None:
    example = _doc_example("wc-v3-order-notes.md", "## Create an order note ##")
    order = sim.add_order()
    created = woo.post(f"/orders/{order['id']}/notes", json={"note": "Order ok!!!"})
    assert created.status_code == 201
    assert set(created.json()) == set(example)
    assert set(created.json()["_links"]) == set(example["_links"])


# -- listing and pagination ------------------------------------------------------------------


def test_pagination_headers_and_links(either: httpx.Client, sim: SimulatedWooCommerce) -> None:
    sim.generate(25)
    first = either.get("/orders")
    assert len(first.json()) == 10  # default per_page
    assert first.headers["X-WP-Total"] == "25"
    assert first.headers["X-WP-TotalPages"] == "3"
    links = _links(first)
    assert set(links) == {"first", "next", "last"}
    assert links["next"].startswith(str(either.base_url).rstrip("/") + "/orders?")
    assert "page=2" in links["next"] and "page=3" in links["last"]

    middle = either.get(links["next"])
    assert set(_links(middle)) == {"first", "prev", "next", "last"}
    last = either.get(_links(middle)["next"])
    assert set(_links(last)) == {"first", "prev", "last"}
    ids = [o["id"] for o in first.json() + middle.json() + last.json()]
    assert len(set(ids)) == 25
    created = [o["date_created_gmt"] for o in first.json() + middle.json() + last.json()]
    assert created == sorted(created, reverse=True)  # date desc by default


def test_links_keep_the_query_and_can_be_limited(clock: FakeClock) -> None:
    sim = SimulatedWooCommerce(clock, link_rels=("prev", "next"))
    sim.generate(5)
    with httpx.Client(transport=sim.transport(), auth=("ck_test", "cs_test")) as c:
        answer = c.get(f"https://a.example{API}/orders", params={"per_page": 2, "status": "any"})
    links = _links(answer)
    assert set(links) == {"next"}
    assert links["next"] == f"https://a.example{API}/orders?per_page=2&status=any&page=2"


def test_per_page_limits(woo: httpx.Client, sim: SimulatedWooCommerce) -> None:
    sim.generate(120)
    assert len(woo.get("/orders", params={"per_page": 100}).json()) == 100
    too_many = woo.get("/orders", params={"per_page": 101})
    assert too_many.status_code == 400
    assert too_many.json() == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): per_page",
        "data": {
            "status": 400,
            "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
        },
    }
    assert woo.get("/orders", params={"per_page": 0}).status_code == 400
    assert woo.get("/orders", params={"per_page": "ten"}).json()["data"]["params"] == {
        "per_page": "per_page is not of type integer."
    }
    assert woo.get("/orders", params={"page": 0}).status_code == 400


def test_page_past_the_end_is_empty(woo: httpx.Client, sim: SimulatedWooCommerce) -> None:
    sim.generate(3)
    answer = woo.get("/orders", params={"page": 5})
    assert answer.status_code == 200
    assert answer.json() == []
    assert answer.headers["X-WP-TotalPages"] == "1"


def test_offset(woo: httpx.Client, sim: SimulatedWooCommerce) -> None:
    sim.generate(12)
    everything = [o["id"] for o in woo.get("/orders", params={"per_page": 12}).json()]
    part = [o["id"] for o in woo.get("/orders", params={"per_page": 4, "offset": 5}).json()]
    assert part == everything[5:9]


def test_repeat_next_link_makes_a_loop(woo: httpx.Client, sim: SimulatedWooCommerce) -> None:
    sim.generate(30)
    first = woo.get("/orders")
    sim.repeat_next_link()
    second = woo.get(_links(first)["next"])
    assert "page=2" in _links(second)["next"]  # points at itself
    third = woo.get(_links(second)["next"])
    assert "page=3" in _links(third)["next"]


def test_orderby_order_and_include(
    woo: httpx.Client, sim: SimulatedWooCommerce, clock: FakeClock
) -> None:
    ids = [sim.add_order()["id"] for _ in range(3)]
    clock.advance(10)
    sim.add_order(created=NOW - timedelta(days=1))  # newest id, oldest date
    by_date = [o["id"] for o in woo.get("/orders").json()]
    assert by_date[-1] == max(by_date)
    by_id = [o["id"] for o in woo.get("/orders", params={"orderby": "id", "order": "asc"}).json()]
    assert by_id == sorted(by_id)
    chosen = woo.get("/orders", params={"include": f"{ids[2]},{ids[0]}", "orderby": "include"})
    assert [o["id"] for o in chosen.json()] == [ids[2], ids[0]]
    assert woo.get("/orders", params={"orderby": "modified"}).status_code == 400
    assert woo.get("/orders", params={"order": "up"}).status_code == 400


# -- filters ---------------------------------------------------------------------------------


@pytest.fixture
def timed(sim: SimulatedWooCommerce) -> dict[str, int]:
    """Orders modified at known GMT times (created an hour earlier)."""
    result = {}
    for label, hour in (("h08", 8), ("h09", 9), ("h10", 10), ("h11", 11)):
        when = datetime(2026, 1, 15, hour, 0, tzinfo=UTC)
        result[label] = sim.add_order(created=when - timedelta(hours=1), modified=when)["id"]
    return result


def _ids(client: httpx.Client, **params: str) -> set[int]:
    answer = client.get("/orders", params=params)
    assert answer.status_code == 200, answer.text
    return {o["id"] for o in answer.json()}


def test_modified_window_in_gmt(woo: httpx.Client, timed: dict[str, int]) -> None:
    got = _ids(
        woo,
        modified_after="2026-01-15T08:00:00",
        modified_before="2026-01-15T11:00:00",
        dates_are_gmt="true",
    )
    assert got == {timed["h09"], timed["h10"]}  # both bounds are strict


def test_forgetting_dates_are_gmt_shifts_the_window(
    woo: httpx.Client, timed: dict[str, int]
) -> None:
    # The same GMT values read as site time (+02:00) mean 06:00..09:00 GMT.
    got = _ids(woo, modified_after="2026-01-15T08:00:00", modified_before="2026-01-15T11:00:00")
    assert got == {timed["h08"]}


def test_zoned_values_are_converted_to_site_time_first(
    woo: httpx.Client, timed: dict[str, int]
) -> None:
    # As WordPress's date query does: 08:00Z becomes 10:00 site time, then compared.
    assert _ids(woo, modified_after="2026-01-15T08:00:00Z") == {
        timed["h09"],
        timed["h10"],
        timed["h11"],
    }
    assert _ids(woo, modified_after="2026-01-15T08:00:00Z", dates_are_gmt="true") == {timed["h11"]}
    assert _ids(woo, modified_after="2026-01-15T10:00:00+02:00", dates_are_gmt="1") == {
        timed["h11"]
    }


def test_created_window(woo: httpx.Client, timed: dict[str, int]) -> None:
    got = _ids(woo, after="2026-01-15T07:30:00", before="2026-01-15T09:30:00", dates_are_gmt="true")
    assert got == {timed["h09"], timed["h10"]}  # created 08:00 and 09:00


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("modified_after", "yesterday"),
        ("modified_after", "2026-01-15"),
        ("after", "2026-13-40T00:00:00"),
        ("dates_are_gmt", "maybe"),
    ],
)
def test_invalid_filter_values(woo: httpx.Client, param: str, value: str) -> None:
    answer = woo.get("/orders", params={param: value})
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "rest_invalid_param"
    assert body["message"] == f"Invalid parameter(s): {param}"
    assert body["data"]["status"] == 400
    assert param in body["data"]["params"]


def test_status_filter(woo: httpx.Client, sim: SimulatedWooCommerce) -> None:
    made = {status: sim.add_order(status=status)["id"] for status in WOO_STATUSES}
    assert _ids(woo, per_page="50") == set(made.values()) - {made["trash"]}
    assert _ids(woo, status="completed") == {made["completed"]}
    assert _ids(woo, status="completed,on-hold") == {made["completed"], made["on-hold"]}
    got = woo.get("/orders", params=[("status[]", "trash"), ("status[]", "failed")]).json()
    assert {o["id"] for o in got} == {made["trash"], made["failed"]}
    bad = woo.get("/orders", params={"status": "shipped"})
    assert bad.status_code == 400
    assert bad.json()["data"]["params"]["status[0]"].startswith("status[0] is not one of any,")


# -- authentication and errors ---------------------------------------------------------------


def test_missing_credentials(sim: SimulatedWooCommerce) -> None:
    with httpx.Client(transport=sim.transport(), base_url="https://s.example" + API) as c:
        listed = c.get("/orders")
        assert listed.status_code == 401
        assert listed.json() == {
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        }
        # parameters are validated before permissions, as in WordPress
        assert c.get("/orders", params={"per_page": 500}).status_code == 400


def test_wrong_key_and_secret(either: httpx.Client) -> None:
    wrong_key = either.get("/orders", auth=("ck_other", "cs_test"))
    assert wrong_key.status_code == 401
    assert wrong_key.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer key is invalid.",
        "data": {"status": 401},
    }
    wrong_secret = either.get("/orders", auth=("ck_test", "cs_other"))
    assert wrong_secret.json()["message"] == "Consumer secret is invalid."


def test_query_string_credentials(sim: SimulatedWooCommerce) -> None:
    sim.generate(2)
    with httpx.Client(transport=sim.transport(), base_url="https://s.example" + API) as c:
        ok = c.get("/orders", params={"consumer_key": "ck_test", "consumer_secret": "cs_test"})
        assert ok.status_code == 200
        assert len(ok.json()) == 2
        bad = c.get("/orders", params={"consumer_key": "ck_test", "consumer_secret": "nope"})
        assert bad.status_code == 401


def test_read_only_key_cannot_write(clock: FakeClock) -> None:
    sim = SimulatedWooCommerce(clock, permissions="read")
    order = sim.add_order()
    with httpx.Client(
        transport=sim.transport(), base_url="https://s.example" + API, auth=("ck_test", "cs_test")
    ) as c:
        assert c.get("/orders").status_code == 200
        refused = c.put(f"/orders/{order['id']}", json={"status": "completed"})
    assert refused.status_code == 401
    assert refused.json()["message"] == "The API key provided does not have write permissions."
    assert sim.order(order["id"])["status"] == "processing"


def test_unknown_route(either: httpx.Client) -> None:
    answer = either.get("/products/reviews/ratings")
    assert answer.status_code == 404
    assert answer.json() == {
        "code": "rest_no_route",
        "message": "No route was found matching the URL and request method",
        "data": {"status": 404},
    }
    assert either.get("/orders/abc").json()["code"] == "rest_no_route"


def test_auth_header_is_recorded(sim: SimulatedWooCommerce, woo: httpx.Client) -> None:
    woo.get("/orders", params={"per_page": 1})
    (recorded,) = sim.requests_to("/orders")
    assert recorded.headers["authorization"].startswith("Basic ")
    assert recorded.param("per_page") == "1"
    assert recorded.operation == "orders.list"


# -- single orders, updates and notes --------------------------------------------------------


def test_get_and_update_an_order(
    woo: httpx.Client, sim: SimulatedWooCommerce, clock: FakeClock
) -> None:
    order = sim.add_order(status="processing")
    fetched = woo.get(f"/orders/{order['id']}").json()
    assert fetched == woo.get("/orders").json()[0]
    missing = woo.get("/orders/999999")
    assert (missing.status_code, missing.json()["code"]) == (
        404,
        "woocommerce_rest_shop_order_invalid_id",
    )

    clock.advance(90)
    updated = woo.put(f"/orders/{order['id']}", json={"status": "completed"}).json()
    assert updated["status"] == "completed"
    assert updated["date_modified_gmt"] == "2026-01-15T12:01:30"
    assert updated["date_completed_gmt"] == "2026-01-15T12:01:30"
    notes = woo.get(f"/orders/{order['id']}/notes").json()
    assert notes[0]["note"] == "Order status changed from Processing to Completed."
    assert notes[0]["author"] == "system"

    clock.advance(60)
    again = woo.put(f"/orders/{order['id']}", json={"status": "completed"}).json()
    assert again["date_modified_gmt"] == "2026-01-15T12:01:30"  # nothing changed
    assert len(woo.get(f"/orders/{order['id']}/notes").json()) == 1

    assert woo.put(f"/orders/{order['id']}", json={"status": "shipped"}).status_code == 400
    bad_json = woo.put(
        f"/orders/{order['id']}", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.json()["code"] == "rest_invalid_json"
    assert woo.put("/orders/999999", json={"status": "completed"}).status_code == 400


def test_notes_check_before_create(
    either: httpx.Client, sim: SimulatedWooCommerce, clock: FakeClock
) -> None:
    order = sim.add_order()
    modified = sim.order(order["id"])["date_modified_gmt"]
    clock.advance(5)
    created = either.post(
        f"/orders/{order['id']}/notes",
        json={"note": "Shipped with DHL 00340434161234567890", "customer_note": True},
    )
    assert created.status_code == 201
    note = created.json()
    assert created.headers["Location"].endswith(f"/orders/{order['id']}/notes/{note['id']}")
    assert note["customer_note"] is True
    assert note["author"] == "system"
    assert note["date_created_gmt"] == "2026-01-15T12:00:05"
    assert note["date_created"] == "2026-01-15T14:00:05"
    clock.advance(5)
    either.post(f"/orders/{order['id']}/notes", json={"note": "internal remark"})

    listed = either.get(f"/orders/{order['id']}/notes").json()
    assert [n["note"] for n in listed] == [
        "internal remark",
        "Shipped with DHL 00340434161234567890",
    ]
    customer = either.get(f"/orders/{order['id']}/notes", params={"type": "customer"}).json()
    assert [n["id"] for n in customer] == [note["id"]]
    assert either.get(f"/orders/{order['id']}/notes/{note['id']}").json()["id"] == note["id"]
    # a note does not modify the order
    assert sim.order(order["id"])["date_modified_gmt"] == modified


def test_note_errors_and_delete(woo: httpx.Client, sim: SimulatedWooCommerce) -> None:
    order = sim.add_order()
    missing = woo.post(f"/orders/{order['id']}/notes", json={})
    assert missing.status_code == 400
    assert missing.json() == {
        "code": "rest_missing_callback_param",
        "message": "Missing parameter(s): note",
        "data": {"status": 400, "params": ["note"]},
    }
    assert woo.post("/orders/999999/notes", json={"note": "x"}).status_code == 404
    assert woo.get(f"/orders/{order['id']}/notes", params={"type": "all"}).status_code == 400
    note = woo.post(f"/orders/{order['id']}/notes", json={"note": "x"}).json()
    assert woo.delete(f"/orders/{order['id']}/notes/{note['id']}").status_code == 501
    assert (
        woo.delete(
            f"/orders/{order['id']}/notes/{note['id']}", params={"force": "true"}
        ).status_code
        == 200
    )
    assert woo.get(f"/orders/{order['id']}/notes/{note['id']}").status_code == 404


# -- test data helpers -----------------------------------------------------------------------


def test_modify_and_set_status_bump_modified(
    woo: httpx.Client, sim: SimulatedWooCommerce, clock: FakeClock
) -> None:
    order = sim.add_order(status="on-hold")
    clock.advance(3600)
    changed = sim.modify_order(order["id"], shipping={"city": "Köln"})
    assert changed["shipping"]["city"] == "Köln"
    assert changed["date_modified_gmt"] == "2026-01-15T13:00:00"
    clock.advance(60)
    paid = sim.set_status(order["id"], "processing")
    assert paid["date_paid_gmt"] == "2026-01-15T13:01:00"
    window = {"modified_after": "2026-01-15T13:00:30", "dates_are_gmt": "true"}
    assert [o["id"] for o in woo.get("/orders", params=window).json()] == [order["id"]]
    with pytest.raises(ValueError):
        sim.set_status(order["id"], "shipped")
    with pytest.raises(KeyError):
        sim.modify_order(424242, customer_note="x")
    with pytest.raises(ValueError):
        sim.add_order(date_modified_gmt="2020-01-01T00:00:00")


def test_add_order_with_explicit_lines(sim: SimulatedWooCommerce) -> None:
    order = sim.add_order(lines=[("BLUE-TEE-M", 2), ("NOT-IN-CATALOG", 1)], currency="USD")
    assert [(li["sku"], li["quantity"]) for li in order["line_items"]] == [
        ("BLUE-TEE-M", 2),
        ("NOT-IN-CATALOG", 1),
    ]
    assert order["line_items"][0]["subtotal"] == "38.00"
    assert order["currency"] == "USD"


@pytest.mark.parametrize("kind", ["bad_quantity", "missing_modified", "bad_total"])
def test_malformed_orders_are_listed_and_broken(
    woo: httpx.Client, sim: SimulatedWooCommerce, kind: str
) -> None:
    bad = sim.add_malformed_order(kind)  # type: ignore[arg-type]
    listed = woo.get(f"/orders/{bad['id']}").json()
    assert listed == bad
    if kind == "bad_quantity":
        assert listed["line_items"][0]["quantity"] == "two"
    elif kind == "missing_modified":
        assert "date_modified_gmt" not in listed
    else:
        with pytest.raises(ArithmeticError):
            Decimal(listed["total"])
    assert bad["id"] in {o["id"] for o in woo.get("/orders").json()}


def test_generate_is_seeded_and_realistic(clock: FakeClock) -> None:
    def build(seed: int) -> SimulatedWooCommerce:
        sim = SimulatedWooCommerce(FakeClock(NOW), seed=seed)
        sim.generate(200, spread=timedelta(days=2))
        return sim

    a, b, c = build(1), build(1), build(2)
    ids = [r.id for r in a.store]
    assert [a.order(i) for i in ids] == [b.order(i) for i in ids]
    assert [a.order(i) for i in ids] != [c.order(i) for i in ids]
    skus = {li["sku"] for i in ids for li in a.order(i)["line_items"]}
    assert skus <= {p.sku for p in CATALOG}
    assert {"BLUE-TEE-M", "MUG-WHITE"} <= skus
    records = list(a.store)
    assert all(NOW - timedelta(days=2) <= r.created <= r.modified <= NOW for r in records)
    assert [r.created for r in records] == sorted(r.created for r in records)  # ids follow time
    assert len({r.status for r in records}) >= 5
    assert any(len(a.order(i)["line_items"]) > 1 for i in ids)


def test_live_feed_brings_new_and_changed_orders(
    woo: httpx.Client, sim: SimulatedWooCommerce, clock: FakeClock
) -> None:
    sim.start_live(new_per_hour=60, changes_per_hour=60)
    assert woo.get("/orders").headers["X-WP-Total"] == "0"
    clock.advance(2 * 3600)
    total = int(woo.get("/orders").headers["X-WP-Total"])
    assert 60 <= total <= 200
    window = {"modified_after": "2026-01-15T13:00:00", "dates_are_gmt": "true", "per_page": "100"}
    recent = woo.get("/orders", params=window).json()
    assert recent and all(o["date_modified_gmt"] > "2026-01-15T13:00:00" for o in recent)
    assert any(o["date_modified_gmt"] != o["date_created_gmt"] for o in recent)


# -- faults and rate limits through the store ------------------------------------------------


def test_faults_on_the_store(either: httpx.Client, sim: SimulatedWooCommerce) -> None:
    sim.generate(3)
    sim.faults.add(Fault.status(429, retry_after=3), path="/orders")
    sim.faults.add(Fault.status(503), path="/orders")
    throttled = either.get("/orders")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "3")
    assert throttled.json()["code"] == "rate_limit_exceeded"
    unavailable = either.get("/orders")
    assert unavailable.status_code == 503
    assert unavailable.json() == {
        "code": "service_unavailable",
        "message": "Service Unavailable",
        "data": {"status": 503},
    }
    sim.faults.add(Fault.truncated(), path="/orders")
    with pytest.raises(json.JSONDecodeError):
        either.get("/orders").json()
    assert len(either.get("/orders").json()) == 3
    assert [r.status for r in sim.requests] == [429, 503, 200, 200]


def test_rate_limit_when_configured(
    woo: httpx.Client, sim: SimulatedWooCommerce, clock: FakeClock
) -> None:
    sim.rate_limits.set("orders.list", RateLimit(rate=2, burst=2))
    codes = [woo.get("/orders").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = woo.get("/orders")
    assert refused.headers["Retry-After"] == "1"
    assert (
        refused.json()["message"] == "Too many requests. Please wait 1 seconds before trying again."
    )
    clock.advance(0.5)
    assert woo.get("/orders").status_code == 200
    assert woo.get("/orders/1").status_code == 404  # other operation, not limited


# -- scale -----------------------------------------------------------------------------------


def test_hundred_thousand_orders_page_through(sim: SimulatedWooCommerce, woo: httpx.Client) -> None:
    sim.generate(100_000, spread=timedelta(days=60))
    params = {"per_page": "100", "orderby": "id", "order": "asc", "dates_are_gmt": "true"}
    first = woo.get("/orders", params={**params, "page": "1"})
    assert first.headers["X-WP-Total"] == "100000"
    assert first.headers["X-WP-TotalPages"] == "1000"
    last = woo.get("/orders", params={**params, "page": "1000"})
    assert [o["id"] for o in last.json()][-1] == max(r.id for r in sim.store)
    assert "next" not in _links(last)

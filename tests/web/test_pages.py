"""Every page shows what the store holds, and every action does what its CLI command does
(through the same function), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from orderhub.cli import app as cli_app
from orderhub.health import account_health
from orderhub.matching.index import COMPONENTS, MAPPINGS
from orderhub.matching.mappings import HISTORY
from orderhub.matching.resolve import LINE_COMPONENTS, RESOLUTIONS
from orderhub.shipping.inbox import import_file
from orderhub.shipping.record import PUSHES, SHIPMENT_LINES, SHIPMENTS
from orderhub.store import queries
from orderhub.store.ingest import ORDERS, QUARANTINE
from orderhub.testing.db import temporary_store
from orderhub.testing.webstore import BUYER_EMAIL, BUYER_NAME, seed_store
from orderhub.web.order_search import OrderFilter, search_orders

from .conftest import Console, cli_url


def rows_of(html: str, table_class: str) -> list[list[str]]:
    """The body rows of the table with ``class="<table_class>"``, as cell texts."""
    match = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S)
    assert match, f"no table {table_class}"
    body = match.group(1).split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


def awaiting(engine: Engine, order_id: int) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                select(ORDERS.c.awaiting_mapping).where(ORDERS.c.id == order_id)
            ).scalar_one()
        )


# -- overview ---------------------------------------------------------------------------------


def test_overview_lists_accounts_worst_first_with_the_store_s_figures(web: Console) -> None:
    html = web.client.get("/").text
    rows = rows_of(html, "accounts")
    with web.engine.connect() as connection:
        model = account_health(connection, web.client.app.state.console.config, datetime.now(UTC))
        # The shared health model's order and states, as `orderhub status` shows them.
        assert [row[0] for row in rows] == [item.account for item in model]
        assert [row[1] for row in rows] == [item.state.replace("_", " ") for item in model]
        assert rows[0][0] == "amazon-eu" and model[0].severity == "critical"
        for row in rows:
            status = queries.account_status(connection, row[0])
            assert row[7] == str(status.orders)
            assert row[8] == str(status.open_quarantine)
    assert "the refresh token was revoked (invalid_grant)" in html
    assert "Authorise orderhub again in Seller Central" in html
    # the problems list starts with the worst one
    problems = re.findall(r'<li class="level-(\d)">', html)
    assert problems == sorted(problems) and problems[0] == "0"
    assert "2 order(s) await a SKU mapping" in html


# -- orders -----------------------------------------------------------------------------------


def order_refs(html: str) -> list[str]:
    return [row[0].replace(" awaiting mapping", "") for row in rows_of(html, "orders")]


def test_orders_list_search_and_filters_match_the_store(web: Console) -> None:
    with web.engine.connect() as connection:
        everything = connection.execute(
            select(ORDERS.c.display_id, ORDERS.c.external_id).order_by(
                ORDERS.c.channel_updated_at.desc(), ORDERS.c.id.desc()
            )
        ).all()
    assert order_refs(web.client.get("/orders").text) == [
        row.display_id or row.external_id for row in everything
    ]
    assert order_refs(web.client.get("/orders?q=1003").text) == ["#1003"]
    assert order_refs(web.client.get("/orders?q=%231003").text) == ["#1003"]
    assert order_refs(web.client.get("/orders?q=12-34567-89012").text) == ["12-34567-89012"]
    assert sorted(order_refs(web.client.get("/orders?q=CAP-BLACK").text)) == [
        "#1002",
        "12-34567-89012",
    ]
    assert order_refs(web.client.get("/orders?awaiting=1").text) == ["#1004", "#1003"]
    assert order_refs(web.client.get("/orders?account=amazon-eu").text) == ["405-1234567-1234567"]
    assert order_refs(web.client.get("/orders?status=shipped").text) == ["405-1234567-1234567"]
    yesterday = (web.seeded.now - timedelta(days=1)).date()
    placed = order_refs(web.client.get(f"/orders?from={yesterday}&to={yesterday}").text)
    # The shop's orders were placed two hours before now: in the first two hours of a UTC
    # day that is yesterday too.
    shop_yesterday = (web.seeded.now - timedelta(hours=2)).date() == yesterday
    shop = ["#1004", "#1003", "#1002", "#1001"] if shop_yesterday else []
    assert placed == [*shop, "12-34567-89012"]
    bad = web.client.get("/orders?status=lost&from=soon").text
    assert "unknown status" in bad and "is not a date" in bad
    # htmx asks for the results alone
    fragment = web.client.get("/orders?q=1003", headers={"hx-request": "true"}).text
    assert "<html" not in fragment and "#1003" in fragment


def test_orders_pages_walk_every_order_once(web: Console, store_engine: Engine) -> None:
    from orderhub.testing.webstore import _order, _page

    _page(
        store_engine,
        "bulk",
        "woocommerce",
        [
            _order(f"9{n:03d}", [], placed=web.seeded.now - timedelta(minutes=n % 7))
            for n in range(120)
        ],
        web.seeded.now,
    )
    seen: list[str] = []
    path: str | None = "/orders?account=bulk"
    pages = 0
    while path:
        html = web.client.get(path).text
        seen.extend(order_refs(html))
        found = re.search(r'class="next" href="([^"]+)"', html)
        path = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert pages == 3
    assert len(seen) == 120 and len(set(seen)) == 120
    with web.engine.connect() as connection:
        rows, _ = search_orders(connection, OrderFilter(account="bulk"), limit=500)
    assert seen == [row.display_id for row in rows]


def test_order_page_shows_lines_matching_shipments_pushes_and_history(web: Console) -> None:
    html = web.client.get(f"/orders/{web.seeded.orders['1002']}").text
    assert "MUG-WHITE" in html and "CAP-BLACK" in html
    assert html.count(">exact<") == 2
    assert "<td>MUG-WHITE</td>" in html  # what matched
    assert "Leeds, GB" in html
    assert BUYER_EMAIL not in html and BUYER_NAME not in html
    ebay = web.client.get(f"/orders/{web.seeded.orders['12-34567-89012']}").text
    assert "1Z999AA10123456784" in ebay
    assert "eBay refused the carrier code" in ebay
    assert "created" in ebay  # the history
    waiting = web.client.get(f"/orders/{web.seeded.orders['1003']}").text
    assert "not matched" in waiting and 'href="/mapping"' in waiting
    assert web.client.get("/orders/999999").status_code == 404


# -- awaiting mapping -------------------------------------------------------------------------


def test_mapping_queue_shows_each_sku_with_its_orders_and_suggestions(web: Console) -> None:
    html = web.client.get("/mapping").text
    assert "TEE-BLUE-M" in html and "GIFTSET" in html
    assert 'value="BLUE-TEE-M" checked' in html  # the best suggestion is picked
    assert "#1003" in html and "#1004" in html


def test_preview_lists_the_released_orders_and_changes_nothing(web: Console) -> None:
    form = {
        "ext": "TEE-BLUE-M",
        "account_id": "shop",
        "channel": "woocommerce",
        "target": "BLUE-TEE-M",
        "qty": "1",
        "scope": "account",
    }
    response = web.post("/mapping/preview", form, headers={"hx-request": "true"})
    assert response.status_code == 200
    assert "This releases 1 order(s)" in response.text and "#1003" in response.text
    assert "Confirm mapping" in response.text
    with web.engine.connect() as connection:
        assert connection.execute(select(MAPPINGS.c.id)).all() == []
        assert connection.execute(select(HISTORY.c.id)).all() == []
    assert awaiting(web.engine, web.seeded.orders["1003"])


def mapping_effects(engine: Engine) -> tuple[object, ...]:
    """A store's mappings, their components, the resolved lines and the waiting orders."""
    with engine.connect() as connection:
        return (
            connection.execute(
                select(MAPPINGS.c.scope, MAPPINGS.c.external_sku).order_by(MAPPINGS.c.scope)
            ).all(),
            connection.execute(
                select(COMPONENTS.c.component_sku, COMPONENTS.c.quantity).order_by(
                    COMPONENTS.c.component_sku
                )
            ).all(),
            connection.execute(
                select(
                    ORDERS.c.display_id,
                    RESOLUTIONS.c.line_external_id,
                    RESOLUTIONS.c.method,
                    RESOLUTIONS.c.scope,
                )
                .join(ORDERS, ORDERS.c.id == RESOLUTIONS.c.order_id)
                .order_by(ORDERS.c.display_id, RESOLUTIONS.c.line_external_id)
            ).all(),
            connection.execute(
                select(
                    ORDERS.c.display_id, LINE_COMPONENTS.c.catalog_sku, LINE_COMPONENTS.c.quantity
                )
                .join(ORDERS, ORDERS.c.id == LINE_COMPONENTS.c.order_id)
                .order_by(ORDERS.c.display_id, LINE_COMPONENTS.c.catalog_sku)
            ).all(),
            connection.execute(
                select(ORDERS.c.display_id)
                .where(ORDERS.c.awaiting_mapping)
                .order_by(ORDERS.c.display_id)
            ).all(),
        )


def test_mapping_from_the_console_does_what_skus_map_does(
    web: Console, store_engine: Engine, tmp_path: Path
) -> None:
    web.post(
        "/mapping/apply",
        {"ext": "TEE-BLUE-M", "account_id": "shop", "target": "BLUE-TEE-M", "scope": "account"},
    )
    web.post(
        "/mapping/apply",
        {
            "ext": "GIFTSET",
            "account_id": "shop",
            "scope": "global",
            "components": "MUG-WHITE=1\nCOASTER=2",
        },
    )
    page = web.client.get("/mapping").text
    assert "Mapped GIFTSET (global) to 1 x MUG-WHITE + 2 x COASTER." in page
    assert "Released 1 order(s): #1004." in page
    assert "Nothing awaits a mapping" in page
    with web.engine.connect() as connection:
        actors = connection.execute(select(HISTORY.c.actor)).scalars().all()
    assert actors == ["web", "web"]

    kind = store_engine.dialect.name
    (tmp_path / "cli").mkdir()
    with temporary_store(kind, tmp_path / "cli") as other:
        seed_store(other, web.seeded.now)
        env = {"ORDERHUB_DATABASE_URL": cli_url(other), "ORDERHUB_CONFIG": None}
        runner = CliRunner()
        for args in (
            ["skus", "map", "TEE-BLUE-M", "BLUE-TEE-M", "--account", "shop"],
            ["skus", "map", "GIFTSET", "--component", "MUG-WHITE=1", "--component", "COASTER=2"],
        ):
            result = runner.invoke(cli_app, args, env=env)
            assert result.exit_code == 0, result.output
        assert mapping_effects(other) == mapping_effects(web.engine)


def test_a_refused_mapping_says_why_and_changes_nothing(web: Console) -> None:
    response = web.post(
        "/mapping/preview", {"ext": "TEE-BLUE-M", "account_id": "shop", "typed": "BLUE-TE"}
    )
    assert response.status_code == 422
    assert "&#39;BLUE-TE&#39; is not in the catalog" in response.text
    assert "Did you mean" in response.text
    bundle = web.post("/mapping/apply", {"ext": "GIFTSET", "components": "MUG-WHITE=two"})
    assert bundle.status_code == 422 and "not a whole number" in bundle.text
    with web.engine.connect() as connection:
        assert connection.execute(select(MAPPINGS.c.id)).all() == []


# -- failures ---------------------------------------------------------------------------------


def test_failures_show_reason_and_fix_and_the_raw_payload_on_demand(web: Console) -> None:
    html = web.client.get("/failures").text
    assert "quantity &#39;two&#39; is not a whole number" in html
    assert "eBay answered 503 Service Unavailable three times" in html
    assert "the next run retries from the cursor" in html
    assert "eBay refused the carrier code" in html and "[carriers.ebay]" in html
    raw = web.client.get(
        f"/failures/quarantine/{web.seeded.quarantine_id}/raw", headers={"hx-request": "true"}
    ).text
    assert "&#34;quantity&#34;: &#34;two&#34;" in raw and "<html" not in raw
    assert web.client.get("/failures/quarantine/999999/raw").status_code == 404


def test_marking_a_record_dealt_with_closes_it_for_the_cli_too(web: Console) -> None:
    record = web.seeded.quarantine_id
    assert web.post(f"/failures/quarantine/{record}/dealt-with").status_code == 303
    page = web.client.get("/failures").text
    assert f"Quarantined record {record} marked as dealt with" in page
    assert "quantity &#39;two&#39;" not in page
    with web.engine.connect() as connection:
        row = connection.execute(select(QUARANTINE).where(QUARANTINE.c.id == record)).one()
        assert row.dealt_with_by == "web" and row.dealt_with_at is not None
        assert queries.quarantined(connection) == []
        assert queries.account_status(connection, "shop").open_quarantine == 0
    web.post(f"/failures/quarantine/{record}/dealt-with")
    assert "was already closed" in web.client.get("/failures").text


def test_retrying_a_failed_push_queues_it_like_pushes_retry(web: Console) -> None:
    push = web.seeded.failed_push_id
    assert web.post(f"/failures/pushes/{push}/retry").status_code == 303
    with web.engine.connect() as connection:
        row = connection.execute(select(PUSHES).where(PUSHES.c.id == push)).one()
    assert (row.status, row.last_error, row.fix) == ("pending", None, None)
    web.post(f"/failures/pushes/{push}/retry")
    page = web.client.get("/failures").text
    assert f"push {push} is not failed" in page
    assert "Only failed, conflicting or retrying pushes can be retried." in page


# -- shipments --------------------------------------------------------------------------------


def test_recording_a_partial_shipment(web: Console) -> None:
    lines = web.client.get("/shipments/lines?order=1002").text
    assert 'name="line" value="21"' in lines and 'max="2" value="2"' in lines
    response = web.post(
        "/shipments/record",
        {
            "order": "1002",
            "carrier": "Royal Mail",
            "tracking": "AB123456789GB",
            "line": ["21", "22"],
            "qty": ["1", "0"],
        },
    )
    assert response.status_code == 303
    page = web.client.get("/shipments").text
    assert "Recorded shipment" in page and "1 × line 21" in page
    with web.engine.connect() as connection:
        shipment = connection.execute(
            select(SHIPMENTS).where(SHIPMENTS.c.tracking_number == "AB123456789GB")
        ).one()
        lines_shipped = connection.execute(
            select(SHIPMENT_LINES.c.line_external_id, SHIPMENT_LINES.c.quantity).where(
                SHIPMENT_LINES.c.shipment_id == shipment.id
            )
        ).all()
        push = connection.execute(
            select(PUSHES.c.status).where(PUSHES.c.shipment_id == shipment.id)
        ).scalar_one()
    assert (shipment.carrier, shipment.source) == ("royal_mail", "web")
    assert [tuple(row) for row in lines_shipped] == [("21", 1)]
    assert push == "pending"
    after = web.client.get("/shipments/lines?order=1002").text
    assert 'max="1" value="1"' in after  # one mug left to ship


def test_a_bad_tracking_number_is_refused_as_the_cli_refuses_it(web: Console) -> None:
    check = web.client.get("/shipments/check-tracking?carrier=UPS&tracking=1Z1234").text
    assert "does not look like a UPS tracking number" in check
    response = web.post(
        "/shipments/record", {"order": "1001", "carrier": "UPS", "tracking": "1Z1234"}
    )
    assert response.status_code == 422
    assert "Nothing was recorded" in response.text
    assert "does not look like a UPS tracking number" in response.text
    nothing = web.post(
        "/shipments/record",
        {
            "order": "1001",
            "carrier": "UPS",
            "tracking": "1Z999AA10123456784",
            "line": ["11"],
            "qty": ["0"],
        },
    )
    assert nothing.status_code == 422 and "no units chosen" in nothing.text
    with web.engine.connect() as connection:
        assert (
            connection.execute(
                select(SHIPMENTS.c.id).where(SHIPMENTS.c.order_id == web.seeded.orders["1001"])
            ).all()
            == []
        )


def test_a_csv_upload_is_all_or_nothing_with_the_import_report(
    web: Console, tmp_path: Path
) -> None:
    bad = (
        b"order,carrier,tracking,sku,quantity\n"
        b"1001,UPS,1Z999AA10123456784,BLUE-TEE-M,1\n"
        b"1002,Fedex,12345,MUG-WHITE,1\n"
        b"7777,UPS,1Z999AA10123456784,,\n"
    )
    response = web.client.post(
        "/shipments/upload",
        data={"csrf_token": web.token()},
        files={"file": ("today.csv", bad, "text/csv")},
    )
    assert response.status_code == 422
    assert "today.csv was not imported; nothing from it was recorded." in response.text
    path = tmp_path / "today.csv"
    path.write_bytes(bad)
    cli_report = import_file(web.engine, path, source="csv:today.csv", now=web.seeded.now)
    assert not cli_report.ok and len(cli_report.problems) == 2
    for problem in cli_report.problems:
        assert str(problem).replace("'", "&#39;") in response.text
    with web.engine.connect() as connection:
        assert connection.execute(select(text("count(*)")).select_from(SHIPMENTS)).scalar() == 1

    good = b"order,carrier,tracking,sku,quantity\n1001,UPS,1Z999AA10123456784,BLUE-TEE-M,1\n"
    ok = web.client.post(
        "/shipments/upload",
        data={"csrf_token": web.token()},
        files={"file": ("../../etc/good.csv", good, "text/csv")},
    )
    assert ok.status_code == 200
    assert "good.csv: recorded 1 shipment(s)" in ok.text
    with web.engine.connect() as connection:
        source = connection.execute(
            select(SHIPMENTS.c.source).where(SHIPMENTS.c.order_id == web.seeded.orders["1001"])
        ).scalar_one()
    assert source == "web:good.csv"
    missing = web.client.post("/shipments/upload", data={"csrf_token": web.token()})
    assert missing.status_code == 422 and "no file was chosen" in missing.text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=40), after=st.text(max_size=30))
@example(query="\x00", after="\x00")
# "²" is a digit to str.isdigit but not to int(): the order-id lookup crashed on it.
@example(query="²", after="1.²")
def test_any_search_text_or_page_link_gives_a_page(web: Console, query: str, after: str) -> None:
    response = web.client.get("/orders", params={"q": query, "after": after, "from": query})
    assert response.status_code == 200
    assert "Traceback" not in response.text


def test_control_characters_are_dropped_from_a_search(web: Console) -> None:
    # Found while fuzzing the search: PostgreSQL refuses text holding a NUL character.
    assert order_refs(web.client.get("/orders", params={"q": "10\x0003"}).text) == ["#1003"]
    assert len(order_refs(web.client.get("/orders", params={"q": "\x00"}).text)) == 6
    assert "No stored order matches." in web.client.get("/orders", params={"q": "\x00#"}).text

"""The five workflows in a real headless Chromium (Debian's ``chromium`` package driven by
Playwright through ``executable_path``), against the console served by uvicorn on a free
port of 127.0.0.1 over a real SQLite store. Screenshots of every page go to
``test-artifacts/screenshots/`` (ignored by git); ``docs/screenshots/`` holds copies for the
README."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from orderhub.shipping.record import SHIPMENT_LINES, SHIPMENTS
from orderhub.testing.db import temporary_store
from orderhub.testing.webstore import SeededStore, seed_store
from orderhub.web.app import create_app
from orderhub.web.server import BackgroundServer

from .conftest import ACCOUNT_ENV, ACCOUNTS, PASSWORD, PASSWORD_ENV, web_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The seeded store's three accounts, configured as a seller would (the credentials are never
# used: nothing here talks to a channel).

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium on this machine (`apt-get install -y chromium`; .ci/run does it)",
    ),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine, SeededStore]]:
    directory = tmp_path_factory.mktemp("browser")
    with temporary_store("sqlite", directory) as engine:
        seeded = seed_store(engine, datetime.now(UTC))
        config = web_config(directory, ACCOUNTS, ACCOUNT_ENV)
        app = create_app(engine, config, environ={PASSWORD_ENV: PASSWORD})
        server = BackgroundServer(app, config.web)
        server.start()
        try:
            yield f"http://127.0.0.1:{server.port}", engine, seeded
        finally:
            server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any, served: tuple[str, Engine, SeededStore]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=served[0])
    tab = context.new_page()
    problems: list[str] = []
    # A CSP violation (an inline script or style htmx was not told to avoid) or a script
    # error shows up here.
    # (A refused form answers 422 on purpose; Chromium logs that status too.)
    expected = "Failed to load resource: the server responded with a status of 422"
    tab.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and expected not in m.text else None,
    )
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert problems == []


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Any) -> None:
    page.goto("/")
    assert "/login" in page.url
    shot(page, "login")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/")


def test_the_five_workflows(page: Any, served: tuple[str, Engine, SeededStore]) -> None:
    _, engine, seeded = served
    log_in(page)

    # Overview: the account that needs attention is the first row.
    first = page.locator("table.accounts tbody tr").first
    assert first.locator("td").first.inner_text() == "amazon-eu"
    # Critical in the shared health model (the same state `orderhub status` shows).
    assert "level-0" in (first.get_attribute("class") or "")
    assert "unusable" in first.inner_text()
    assert "not configured" not in page.locator("table.accounts").inner_text()
    shot(page, "overview")

    # Awaiting mapping: take the suggestion, preview, confirm; the order leaves the queue.
    page.click("nav >> text=Awaiting mapping")
    group = page.locator("section.sku-group", has_text="TEE-BLUE-M")
    assert group.locator("input[name=target][value=BLUE-TEE-M]").is_checked()
    shot(page, "mapping")
    group.locator("button", has_text="Preview").click()
    preview = group.locator(".confirm")
    preview.wait_for()
    assert "#1003" in preview.inner_text()
    shot(page, "mapping-preview")
    preview.locator("button", has_text="Confirm mapping").click()
    page.wait_for_selector(".flash-ok")
    assert "Released 1 order(s): #1003" in page.locator(".flash-ok").inner_text()
    assert page.locator("section.sku-group", has_text="TEE-BLUE-M").count() == 0
    # A refused mapping says why, in place (htmx swaps the 422 answer in).
    gift = page.locator("section.sku-group", has_text="GIFTSET")
    gift.locator("input[name=typed]").fill("NO-SUCH-SKU")
    gift.locator("button", has_text="Preview").click()
    gift.locator(".flash-error").wait_for()
    assert "is not in the catalog" in gift.locator(".flash-error").inner_text()

    page.goto("/orders?awaiting=1")
    assert "#1003" not in page.locator("#results").inner_text()
    assert "#1004" in page.locator("#results").inner_text()

    # Orders: search, then one order's page.
    page.goto("/orders")
    shot(page, "orders")
    page.fill("input[name=q]", "CAP-BLACK")
    page.press("input[name=q]", "Enter")
    # A locator assertion, not wait_for_function: a string predicate is evaluated with
    # eval, which the console's CSP (rightly) forbids when Playwright has to poll.
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect(page.locator("table.orders tbody tr")).to_have_count(2)
    page.click("table.orders >> text=12-34567-89012")
    page.wait_for_selector("text=Lines and how they matched")
    shot(page, "order")

    # Shipments: a partial shipment of order #1002 (one mug of two, no cap).
    page.click("nav >> text=Shipments")
    page.fill("input[name=order]", "1002")
    page.wait_for_selector("#ship-lines input[name=qty]")
    quantities = page.locator("#ship-lines input[name=qty]")
    quantities.nth(0).fill("1")
    quantities.nth(1).fill("0")
    page.select_option("select[name=carrier]", "Royal Mail")
    page.fill("input[name=tracking]", "AB123456789GB")
    page.wait_for_selector("#tracking-check .ok-text")
    shot(page, "shipments")
    page.click("#ship-form button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "1 × line 21" in page.locator(".flash-ok").inner_text()
    with engine.connect() as connection:
        recorded = connection.execute(
            select(SHIPMENT_LINES.c.line_external_id, SHIPMENT_LINES.c.quantity)
            .join(SHIPMENTS, SHIPMENTS.c.id == SHIPMENT_LINES.c.shipment_id)
            .where(SHIPMENTS.c.order_id == seeded.orders["1002"])
        ).all()
    assert [tuple(row) for row in recorded] == [("21", 1)]

    # A CSV with a bad row: nothing recorded, the row and its fix listed.
    csv_file = ARTIFACTS.parent / "shipped-today.csv"
    csv_file.write_text(
        "order,carrier,tracking\n1001,UPS,1Z999AA10123456784\n1004,FedEx,123\n",
        encoding="utf-8",
    )
    page.set_input_files("input[type=file]", str(csv_file))
    page.click("text=Upload and record")
    report = page.locator(".report")
    report.wait_for()
    text = report.inner_text()
    assert "shipped-today.csv was not imported; nothing from it was recorded." in text
    assert "row 3: order #1004: tracking number '123'" in text
    shot(page, "shipments-upload-report")

    # Failures: the raw payload on demand.
    page.click("nav >> text=Failures")
    page.click("a:has-text('Raw payload')")
    page.wait_for_selector(".raw pre")
    assert '"quantity": "two"' in page.locator(".raw pre").inner_text()
    shot(page, "failures")

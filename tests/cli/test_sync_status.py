"""``orderhub sync ACCOUNT`` against a simulated shop over HTTP, and ``orderhub status``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from orderhub.store.db import make_engine
from orderhub.store.ingest import ORDERS
from orderhub.store.runs import ACCOUNT_STATE, RUNS, set_attention

from .conftest import (
    SECRET_VAR,
    SHOP_ORDERS,
    Cli,
    Shop,
    add_malformed,
    assert_clean_failure,
    assert_ok,
    flat,
    table_records,
)


def stored_ids(directory: Path, account: str = "shop") -> list[str]:
    engine = make_engine(f"sqlite:///{directory / 'orderhub.db'}")
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    select(ORDERS.c.external_id).where(ORDERS.c.account_id == account)
                ).scalars()
            )
    finally:
        engine.dispose()


def test_sync_pulls_every_order_and_prints_a_summary(configured: Cli, shop: Shop) -> None:
    add_malformed(shop)
    result = configured("sync", "shop")
    output = assert_ok(result)
    assert re.search(
        rf"shop: succeeded\. {SHOP_ORDERS + 1} fetched over \d+ pages: {SHOP_ORDERS} new, "
        r"0 updated, 0 unchanged, 1 quarantined\.",
        output,
    ), output
    assert "Quarantined records: `orderhub failures`." in output
    ids = stored_ids(configured.directory)
    expected = {str(record.id) for record in shop.sim.store if record.malformed is None}
    assert len(ids) == len(set(ids)) == SHOP_ORDERS
    assert set(ids) == expected
    # The sync's own log lines go to standard error: never a secret, never a buyer's e-mail.
    assert shop.secret not in result.output
    assert shop.key not in result.output
    assert not any(email in result.output for email in shop.emails)

    again = assert_ok(configured("sync", "shop"))
    assert "shop: succeeded." in again
    assert "0 new" in again
    assert len(stored_ids(configured.directory)) == SHOP_ORDERS


def test_sync_since_rereads_from_that_date(configured: Cli, shop: Shop) -> None:
    assert_ok(configured("sync", "shop"))
    since = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    output = assert_ok(configured("sync", "shop", "--since", since))
    assert f"{SHOP_ORDERS} fetched" in output
    assert f"0 new, 0 updated, {SHOP_ORDERS} unchanged" in output


def test_sync_of_an_unknown_account_names_the_configured_ones(configured: Cli) -> None:
    result = configured("sync", "nope")
    assert_clean_failure(
        result,
        'no account "nope" in the configuration (configured: shop)',
        "Fix: Use an id from `orderhub status`",
        code=1,
    )


def test_sync_since_in_a_bad_format_exits_2(configured: Cli) -> None:
    result = configured("sync", "shop", "--since", "last tuesday")
    assert_clean_failure(result, "'last tuesday' is not a date", "Fix: Use ISO 8601", code=2)


def test_sync_since_in_the_future_exits_2(configured: Cli) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    result = configured("sync", "shop", "--since", tomorrow)
    assert_clean_failure(result, "--since is in the future", code=2)


def test_sync_without_a_configuration_file_says_so(orderhub: Cli) -> None:
    result = orderhub("sync", "shop")
    assert_clean_failure(result, "orderhub.toml", "does not exist", "Fix:", code=2)


def test_a_rejected_secret_fails_the_sync_and_flags_the_account(
    configured: Cli, shop: Shop
) -> None:
    assert_ok(configured("sync", "shop"))
    wrong = "cs_wrong_5b8e2f0a7c9d"
    result = configured("sync", "shop", env={SECRET_VAR: wrong})
    output = assert_clean_failure(
        result,
        "shop: failed.",
        "Error: the run failed (auth)",
        "HTTP 401",
        "Fix: Renew the account's credentials",
        code=1,
    )
    assert wrong not in output

    status = configured("status")
    text = assert_ok(status)
    (row,) = table_records(status.output)
    assert row["account"] == "shop"
    assert row["last run"].startswith("failed")
    assert row["orders"] == str(SHOP_ORDERS)
    assert row["attention"] == "NEEDS ATTENTION"
    assert "shop: list_orders: GET /wp-json/wc/v3/orders answered HTTP 401" in text
    assert "Fix: Renew the account's credentials and restart the worker." in text

    failures = assert_ok(configured("failures"))
    assert "Failed runs since the last success (1)" in failures
    assert "auth" in failures

    # Fixed credentials clear the flag.
    assert_ok(configured("sync", "shop"))
    (row,) = table_records(configured("status").output)
    assert row["attention"] == ""
    assert row["last run"].startswith("succeeded")


def test_status_after_a_sync(synced: Cli) -> None:
    result = synced("status")
    assert_ok(result)
    (row,) = table_records(result.output)
    assert (row["account"], row["channel"], row["enabled"]) == ("shop", "woocommerce", "yes")
    assert row["last run"].startswith("succeeded") and row["last run"].endswith("ago")
    assert row["last success"].endswith("ago")
    assert row["cursor lag"] != "-"
    # The shop serves one malformed order: quarantined since nobody looked yet, a warning.
    assert (row["orders"], row["quarantined"], row["attention"]) == (
        str(SHOP_ORDERS),
        "1",
        "warning",
    )
    assert row["state"] == "quarantined"
    assert "shop: 1 record quarantined since the last look" in flat(result.output)
    # `orderhub failures` is the look: afterwards the account is ok.
    assert_ok(synced("failures"))
    (row,) = table_records(synced("status").output)
    assert (row["state"], row["attention"], row["quarantined"]) == ("ok", "", "1")


def test_status_lists_stored_accounts_that_are_no_longer_configured(synced: Cli) -> None:
    synced.write_config("")
    result = synced("status")
    assert_ok(result)
    (row,) = table_records(result.output)
    assert (row["account"], row["channel"], row["enabled"]) == (
        "shop",
        "woocommerce",
        "not configured",
    )


def test_status_with_no_configuration_and_an_empty_store(orderhub: Cli) -> None:
    assert_ok(orderhub("db", "upgrade"))
    output = assert_ok(orderhub("status"))
    assert "No accounts configured and nothing stored yet." in output


def test_status_shows_a_configured_account_that_never_ran(configured: Cli) -> None:
    assert_ok(configured("db", "upgrade"))
    result = configured("status")
    assert_ok(result)
    (row,) = table_records(result.output)
    assert (row["account"], row["enabled"], row["last run"]) == ("shop", "yes", "never")


def test_status_prints_stored_reasons_as_text_not_markup(synced: Cli) -> None:
    """Reasons come from channels and users; rich markup in them must neither vanish nor
    crash the command."""
    engine = make_engine(f"sqlite:///{synced.directory / 'orderhub.db'}")
    try:
        with engine.begin() as connection:
            set_attention(
                connection,
                "shop",
                reason="the shop answered [/b] and [bold]nope[/bold]",
                fix="check [red]the[/] key",
                now=datetime.now(UTC),
            )
            flagged = connection.execute(
                select(func.count()).where(ACCOUNT_STATE.c.needs_attention)
            ).scalar_one()
            runs = connection.execute(select(func.count()).select_from(RUNS)).scalar_one()
    finally:
        engine.dispose()
    assert (flagged, runs) == (1, 1)
    output = assert_ok(synced("status"))
    assert "shop: the shop answered [/b] and [bold]nope[/bold] Fix: check [red]the[/] key" in output


def test_read_commands_work_without_the_channel_secrets(synced: Cli) -> None:
    """Looking at the store needs no marketplace credentials."""
    no_secret = {SECRET_VAR: None}
    assert "Orders (" in assert_ok(synced("orders", "list", env=no_secret))
    assert "shop" in assert_ok(synced("status", env=no_secret))
    assert "Quarantined records (1)" in assert_ok(synced("failures", env=no_secret))
    assert "already at revision" in assert_ok(synced("db", "upgrade", env=no_secret))
    # Commands that talk to the channel still insist.
    assert_clean_failure(synced("sync", "shop", env=no_secret), SECRET_VAR, code=2)


def test_markup_in_user_input_is_echoed_as_text(configured: Cli) -> None:
    result = configured("sync", "[/x]")
    assert_clean_failure(result, 'no account "[/x]"', code=1)
    result = configured("orders", "list", "--status", "[bold]shipped")
    assert_clean_failure(result, "unknown status '[bold]shipped'", code=2)

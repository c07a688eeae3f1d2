"""Tables for people and for scripts: key columns (ids, order references, SKUs, tracking)
come out whole at 80 and 120 columns; every list command takes ``--format json|csv``;
help shows option types as users write them."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.console import Console

from orderhub.cli.helptypes import user_type
from orderhub.cli.output import Format, Listing

from .conftest import Cli, assert_ok

LONG_ORDER = "902-1845936-5435065"
LONG_SKU = "AMZ-TS-ORGANIC-COTTON-BLK-XXL-FBA"
TRACKING = "1Z999AA10123456784"


def _listing() -> Listing:
    listing = Listing(
        "Orders",
        ("id", "account", "channel", "order", "status", "channel SKU", "tracking", "note"),
        keys=("id", "order", "channel SKU", "tracking"),
    )
    for n in range(3):
        listing.add(
            100041 + n,
            "my-amazon-account-eu",
            "amazon",
            LONG_ORDER,
            "awaiting_mapping",
            LONG_SKU,
            TRACKING,
            "a long note that may fold wherever the terminal needs it to " * 2,
        )
    return listing


@pytest.mark.parametrize("width", [80, 120])
def test_key_columns_are_never_cut(width: int) -> None:
    console = Console(width=width, record=True, color_system=None)
    _listing().emit(Format.table, console)
    text = console.export_text()
    for value in ("100041", "100043", "my-amazon-account-eu", LONG_ORDER, LONG_SKU, TRACKING):
        assert value in text, f"{value} is cut at {width} columns"
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width


def test_a_table_that_fits_is_a_table_with_the_other_columns_folded() -> None:
    listing = Listing("Pushes", ("id", "order", "problem / fix"), keys=("id", "order"))
    listing.add(1, LONG_ORDER, "the channel refused the carrier code; Fix: map it " * 3)
    console = Console(width=80, record=True, color_system=None)
    listing.emit(Format.table, console)
    text = console.export_text()
    assert "┃ id" in text and LONG_ORDER in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_table_too_narrow_for_its_headers_words_is_shown_as_records() -> None:
    # Ten columns at 80: as a table, "account" and "channel status" would break inside
    # their words; as records every value reads whole.
    columns = ("id", "account", "channel", "order", "status", "channel status", "total")
    listing = Listing("Orders", (*columns, "lines", "placed", "updated"), keys=("id", "order"))
    listing.add(255, "demo-shopify", "shopify", "#1066", "unshipped", "PAID/UNFULFILLED",
                "296.90 EUR", 4, "2026-12-03 01:03", "2026-12-03 01:03")  # fmt: skip
    console = Console(width=80, record=True, color_system=None)
    listing.emit(Format.table, console)
    text = console.export_text()
    assert "┃" not in text
    assert "account: demo-shopify" in text and "channel status: PAID/UNFULFILLED" in text


def test_a_value_of_several_lines_keeps_to_its_column_in_records() -> None:
    listing = Listing("Unmapped", ("channel SKU", "suggestions"), keys=("channel SKU",))
    listing.add(LONG_SKU, "TEE-BLUE-L (100)\nBLUE-TEE-L (70)")
    console = Console(width=40, record=True, color_system=None)
    listing.emit(Format.table, console)
    lines = console.export_text().splitlines()
    first = next(line for line in lines if "TEE-BLUE-L" in line)
    second = next(line for line in lines if "BLUE-TEE-L (70)" in line)
    assert second.index("BLUE-TEE-L") == first.index("TEE-BLUE-L")


def test_json_and_csv_carry_every_row_plain(capsys: pytest.CaptureFixture[str]) -> None:
    listing = _listing()
    listing.add(7, "shop", "woocommerce", "[bold]1042[/]", "shipped", "TEE", "-", 'a,b"c')
    listing.emit(Format.json, Console())
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 4 and records[3]["order"] == "[bold]1042[/]"
    assert records[0]["channel SKU"] == LONG_SKU
    listing.emit(Format.csv, Console())
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:4] == ["id", "account", "channel", "order"]
    assert rows[4][-1] == 'a,b"c'


LIST_COMMANDS = [
    ("orders", "list"),
    ("shipments", "list"),
    ("pushes", "list"),
    ("skus", "unmapped"),
    ("skus", "list"),
    ("skus", "history"),
    ("catalog", "list"),
]


@pytest.mark.parametrize("command", LIST_COMMANDS, ids=" ".join)
def test_every_list_command_writes_json_and_csv(orderhub: Cli, command: tuple[str, str]) -> None:
    assert_ok(orderhub("db", "upgrade"))
    result = orderhub(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    result = orderhub(*command, "--format", "csv")
    assert result.exit_code == 0, result.output
    header = next(csv.reader(io.StringIO(result.output)))
    assert len(header) >= 3
    refused = orderhub(*command, "--format", "xml")
    assert refused.exit_code == 2


def test_help_shows_types_as_users_write_them(orderhub: Cli) -> None:
    for args in (["--help"], ["ship", "--help"], ["orders", "list", "--help"]):
        text = orderhub(*args).output
        assert not re.search(r"<(bool|str|int|list\[str\]|path)[^>]*>", text), text
    ship = orderhub("ship", "--help").output
    assert "TEXT (repeatable)" in ship
    assert "table|json|csv" in orderhub("orders", "list", "--help").output


def test_user_type_words() -> None:
    assert user_type("<bool>") is None
    assert user_type("<str>", flag=True) is None
    assert user_type("<str>") == "TEXT"
    assert user_type("<list[str]>") == "TEXT (repeatable)"
    assert user_type("<int range>") == "N"
    assert user_type("<table|json|csv>") == "table|json|csv"
    assert user_type("<path>") == "PATH"


def test_shipments_columns_is_plain_text(orderhub: Cli) -> None:
    text = assert_ok(orderhub("shipments", "columns"))
    assert "``" not in text and "====" not in text
    assert "column required meaning ------------" in text
    assert "orderhub shipments import" in text

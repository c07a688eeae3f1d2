"""Parsing shipment CSV files: grouping rows into parcels, every bad row reported."""

from __future__ import annotations

from datetime import UTC, datetime

from orderhub.shipping.csvfile import parse_shipments_csv


def test_rows_of_one_parcel_are_grouped_and_optional_columns_read() -> None:
    text = (
        "Order,Carrier,Tracking,SKU,Quantity,Shipped_At,Account\n"
        "1001,UPS,1Z999AA10123456784,BLUE-TEE-M,2,2026-11-20T10:00:00Z,shop\n"
        "1001,UPS,1Z999AA10123456784,MUG-WHITE,,2026-11-20T10:00:00Z,shop\n"
        "1002,Royal Mail,AB123456789GB,,,,\n"
    )
    requests, problems = parse_shipments_csv(text)
    assert problems == []
    first, second = requests
    assert first.order == "1001" and first.account == "shop"
    assert first.lines == (("BLUE-TEE-M", 2), ("MUG-WHITE", None))
    assert first.shipped_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert first.label == "rows 2, 3"
    assert second.lines is None and second.label == "row 4"


def test_every_bad_row_is_reported_with_its_number() -> None:
    text = (
        "order,carrier,tracking,sku,quantity,shipped_at\n"
        "1001,UPS,,SKU-1,1,\n"
        "1002,UPS,1Z999AA10123456784,SKU-2,two,\n"
        "1003,UPS,1Z999AA10123456784,SKU-3,-1,\n"
        "1004,UPS,1Z999AA10123456784,,3,\n"
        "1005,UPS,1Z999AA10123456784,SKU-5,1,yesterday\n"
    )
    _requests, problems = parse_shipments_csv(text)
    by_row = {problem.label: problem.message for problem in problems}
    assert set(by_row) == {"row 2", "row 3", "row 4", "row 5", "row 6"}
    assert "tracking is empty" in by_row["row 2"]
    assert "not a whole number" in by_row["row 3"]
    assert "not positive" in by_row["row 4"]
    assert "quantity without sku" in by_row["row 5"]
    assert "not a date" in by_row["row 6"]


def test_a_bad_header_names_the_missing_and_unknown_columns() -> None:
    _requests, problems = parse_shipments_csv("order,carrier,trackingnumber\n1,UPS,1Z\n")
    assert len(problems) == 1
    assert "missing column(s) tracking" in problems[0].message
    assert "unknown column(s) trackingnumber" in problems[0].message


def test_a_parcel_mixing_whole_order_and_line_rows_is_refused() -> None:
    text = "order,carrier,tracking,sku\n1,UPS,1Z999AA10123456784,\n1,UPS,1Z999AA10123456784,A\n"
    _requests, problems = parse_shipments_csv(text)
    assert [p.label for p in problems] == ["rows 2, 3"]


def test_an_empty_file() -> None:
    _requests, problems = parse_shipments_csv("")
    assert problems and "empty" in problems[0].message

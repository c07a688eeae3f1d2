"""`orderhub ship`, `shipments import`, `pushes list|retry` and the drop folder, as a seller
uses them (SQLite file store)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.shipping.inbox import process_inbox
from orderhub.shipping.record import PUSHES, SHIPMENTS
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector

runner = CliRunner()


@pytest.fixture
def database(
    tmp_path: Path, clock: FakeClock, shop: SimulatedWooCommerce, connector: WooCommerceConnector
) -> tuple[str, Engine, list[str]]:
    url = f"sqlite:///{tmp_path / 'orderhub.db'}"
    engine = make_engine(url)
    upgrade(engine)
    orders = [
        str(
            shop.add_order(
                created=clock.now() - timedelta(hours=2),
                lines=[("BLUE-TEE-M", 2), ("MUG-WHITE", 1)],
            )["id"]
        ),
        str(
            shop.add_order(created=clock.now() - timedelta(hours=2), lines=[("CAP-BLACK", 1)])["id"]
        ),
    ]
    clock.advance(120)
    assert PullRunner(engine, connector).run().outcome == "succeeded"
    return url, engine, orders


def cli(url: str, *args: str) -> Any:
    # Wide enough that no table cell the tests read is folded, whatever $COLUMNS is here.
    return runner.invoke(app, ["--database-url", url, *args], env={"COLUMNS": "250"})


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_ship_records_a_partial_shipment_and_queues_its_push(
    database: tuple[str, Engine, list[str]],
) -> None:
    url, engine, (order, _) = database
    result = cli(
        url,
        "ship",
        order,
        "--carrier",
        "fed-ex",
        "--tracking",
        "7946 1234 5678",
        "--line",
        "BLUE-TEE-M=1",
    )
    assert result.exit_code == 0, result.output
    assert "Recorded shipment" in result.output and "794612345678" in result.output
    listed = cli(url, "pushes", "list")
    assert listed.exit_code == 0 and "pending" in listed.output and "FedEx" in listed.output
    again = cli(
        url,
        "ship",
        order,
        "--carrier",
        "FedEx",
        "--tracking",
        "794612345678",
        "--line",
        "BLUE-TEE-M=1",
    )
    assert again.exit_code == 0 and "already has shipment" in again.output
    assert count(engine, SHIPMENTS) == 1


def test_the_tracking_of_an_earlier_partial_parcel_says_what_is_still_unshipped(
    database: tuple[str, Engine, list[str]],
) -> None:
    url, engine, (order, _) = database
    first = cli(
        url,
        "ship",
        order,
        "--carrier",
        "UPS",
        "--tracking",
        "1Z999AA10123456784",
        "--line",
        "BLUE-TEE-M=1",
    )
    assert first.exit_code == 0, first.output
    # The seller ships "the rest" but reuses the first parcel's tracking number.
    again = cli(url, "ship", order, "--carrier", "UPS", "--tracking", "1Z999AA10123456784")
    assert again.exit_code == 0, again.output
    text = " ".join(again.output.split())
    assert "nothing new recorded" in text
    assert "Still unshipped: 1 × BLUE-TEE-M, 1 × MUG-WHITE" in text
    assert "record the rest with its own tracking number" in text
    assert count(engine, SHIPMENTS) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--carrier", "Fedx", "--tracking", "794612345678"], "Did you mean FedEx"),
        (["--carrier", "UPS", "--tracking", "12345"], "does not look like a UPS tracking number"),
        (
            ["--carrier", "UPS", "--tracking", "1Z999AA10123456784", "--line", "BLUE-TEE-M=5"],
            "more than the 2 left to ship",
        ),
        (
            ["--carrier", "UPS", "--tracking", "1Z999AA10123456784", "--line", "NOPE=1"],
            "is not a line of this order",
        ),
        (
            ["--carrier", "UPS", "--tracking", "1Z999AA10123456784", "--line", "BLUE-TEE-M=x"],
            "is not a whole number",
        ),
        (
            ["--carrier", "UPS", "--tracking", "1Z999AA10123456784", "--shipped-at", "soon"],
            "is not a date",
        ),
        (
            ["--carrier", "UPS", "--tracking", "1Z999AA10123456784", "--line", "BLUE-TEE-M:1"],
            "--line BLUE-TEE-M=1",
        ),
        (
            [
                "--carrier",
                "UPS",
                "--tracking",
                "1Z999AA10123456784",
                "--shipped-at",
                (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            ],
            "is in the future",
        ),
    ],
)
def test_ship_refuses_bad_input_with_a_fix_and_no_traceback(
    database: tuple[str, Engine, list[str]], args: list[str], message: str
) -> None:
    url, engine, (order, _) = database
    result = cli(url, "ship", order, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Fix:" in result.output
    assert "Traceback" not in result.output
    assert count(engine, SHIPMENTS) == 0


def test_ship_refuses_an_unknown_order(database: tuple[str, Engine, list[str]]) -> None:
    url, _engine, _orders = database
    result = cli(url, "ship", "999999", "--carrier", "UPS", "--tracking", "1Z999AA10123456784")
    assert result.exit_code == 2 and "no order '999999'" in result.output


def test_a_csv_import_is_all_or_nothing_with_every_bad_row_reported(
    database: tuple[str, Engine, list[str]], tmp_path: Path
) -> None:
    url, engine, (first, second) = database
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "order,carrier,tracking,sku,quantity\n"
        f"{first},UPS,1Z999AA10123456784,BLUE-TEE-M,2\n"
        f"{second},Purolator,123456789,,\n"
        f"{first},UPS,1Z999AA10123456785,MUG-WHITE,zero\n"
    )
    result = cli(url, "shipments", "import", str(bad))
    assert result.exit_code == 2
    assert "row 3" in result.output and "row 4" in result.output and "Purolator" in result.output
    assert count(engine, SHIPMENTS) == 0

    good = tmp_path / "good.csv"
    good.write_text(
        "order,carrier,tracking,sku,quantity\n"
        f"{first},UPS,1Z999AA10123456784,BLUE-TEE-M,2\n"
        f"{first},UPS,1Z999AA10123456784,MUG-WHITE,1\n"
        f"{second},Royal Mail,AB123456789GB,,\n"
    )
    result = cli(url, "shipments", "import", str(good))
    assert result.exit_code == 0, result.output
    assert "recorded 2 shipments" in result.output
    assert count(engine, PUSHES) == 2
    listed = cli(url, "shipments", "list")
    assert "Royal Mail" in listed.output and "csv:good.csv" in listed.output


def test_pushes_retry(database: tuple[str, Engine, list[str]]) -> None:
    url, engine, (order, _) = database
    cli(url, "ship", order, "--carrier", "UPS", "--tracking", "1Z999AA10123456784")
    with engine.begin() as connection:
        connection.execute(
            update(PUSHES).values(status="failed", last_error="HTTP 400", fix="Check the carrier.")
        )
    failed = cli(url, "pushes", "list", "--failed")
    assert "failed" in failed.output and "HTTP 400" in failed.output
    assert cli(url, "pushes", "retry").exit_code == 2
    assert cli(url, "pushes", "retry", "42").exit_code == 2
    result = cli(url, "pushes", "retry", "--all-failed")
    assert result.exit_code == 0 and "1 pushes queued again" in result.output
    with engine.connect() as connection:
        assert connection.execute(select(PUSHES.c.status)).scalar_one() == "pending"


def test_the_drop_folder_files_each_csv_under_done_or_failed(
    database: tuple[str, Engine, list[str]], tmp_path: Path
) -> None:
    _url, engine, (first, second) = database
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "monday.csv").write_text(f"order,carrier,tracking\n{first},UPS,1Z999AA10123456784\n")
    (inbox / "broken.csv").write_text(f"order,carrier,tracking\n{second},UPS,nope\n")
    (inbox / "fresh.csv").write_text(f"order,carrier,tracking\n{second},DPD,15501234567890\n")
    old = time.time() - 60
    for name in ("monday.csv", "broken.csv"):
        os.utime(inbox / name, (old, old))

    results = process_inbox(engine, inbox, now=datetime.now(UTC))
    assert sorted((r.file.name, r.ok) for r in results) == [
        ("broken.csv", False),
        ("monday.csv", True),
    ]
    assert (inbox / "done" / "monday.csv").exists()
    assert (inbox / "failed" / "broken.csv").exists()
    report = (inbox / "failed" / "broken.csv.errors.txt").read_text()
    assert "row 2" in report and "tracking number" in report
    assert (inbox / "fresh.csv").exists(), "a file still being written is left alone"
    with engine.connect() as connection:
        sources = connection.execute(select(SHIPMENTS.c.source)).scalars().all()
        assert sources == ["inbox:monday.csv"]
        assert connection.execute(select(func.count()).select_from(ORDERS)).scalar_one() == 2


def test_a_shipment_not_yet_on_the_channel_can_be_withdrawn(
    database: tuple[str, Engine, list[str]],
) -> None:
    url, engine, (order, _) = database
    cli(url, "ship", order, "--carrier", "UPS", "--tracking", "1Z999AA10123456784")
    with engine.connect() as connection:
        shipment_id = connection.execute(select(SHIPMENTS.c.id)).scalar_one()
    result = cli(url, "shipments", "cancel", str(shipment_id))
    assert result.exit_code == 0, result.output
    assert "withdrawn" in result.output
    assert count(engine, SHIPMENTS) == 0 and count(engine, PUSHES) == 0
    # Its units can be shipped again.
    again = cli(url, "ship", order, "--carrier", "UPS", "--tracking", "1Z999AA10123456785")
    assert again.exit_code == 0, again.output
    assert cli(url, "shipments", "cancel", "999").exit_code == 2


def test_a_shipment_already_on_the_channel_cannot_be_withdrawn(
    database: tuple[str, Engine, list[str]],
) -> None:
    url, engine, (order, _) = database
    cli(url, "ship", order, "--carrier", "UPS", "--tracking", "1Z999AA10123456784")
    with engine.begin() as connection:
        connection.execute(update(PUSHES).values(status="confirmed"))
        shipment_id = connection.execute(select(SHIPMENTS.c.id)).scalar_one()
    result = cli(url, "shipments", "cancel", str(shipment_id))
    assert result.exit_code == 2
    assert "has reached the channel" in result.output and "seller portal" in result.output
    assert count(engine, SHIPMENTS) == 1


def test_the_drop_folder_reports_odd_entries_and_imports_the_rest(
    database: tuple[str, Engine, list[str]], tmp_path: Path
) -> None:
    _url, engine, (first, _second) = database
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "secret.csv"
    outside.write_text(f"order,carrier,tracking\n{first},UPS,1Z999AA10123456785\n")
    (inbox / "link.csv").symlink_to(outside)
    (inbox / "folder.csv").mkdir()
    os.mkfifo(inbox / "pipe.csv")
    locked = inbox / "locked.csv"
    locked.write_text("order,carrier,tracking\n")
    locked.chmod(0)
    odd = inbox / "we\x1bird\u202e name.csv"
    odd.write_text(f"order,carrier,tracking\n{first},UPS,1Z999AA10123456784\n")
    old = time.time() - 60
    for entry in inbox.iterdir():
        os.utime(entry, (old, old), follow_symlinks=False)

    results = process_inbox(engine, inbox, now=datetime.now(UTC))

    outcome = {r.file.name: r.ok for r in results}
    assert outcome[odd.name] is True, "the good file among the odd ones is imported"
    assert outcome["link.csv"] is False and outcome["folder.csv"] is False
    assert outcome["pipe.csv"] is False
    if os.geteuid() != 0:  # root reads any file
        assert outcome["locked.csv"] is False
    assert sorted(p.name for p in inbox.iterdir()) == ["done", "failed"]
    report = (inbox / "failed" / "link.csv.errors.txt").read_text()
    assert "outside the drop folder" in report
    assert outside.exists(), "the link's target is left alone"
    with engine.connect() as connection:
        trackings = connection.execute(select(SHIPMENTS.c.tracking_number)).scalars().all()
    assert trackings == ["1Z999AA10123456784"], "the file behind the link was not read"


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_files_orderhub_writes_are_private_whatever_the_umask(
    tmp_path: Path, clock: FakeClock, shop: SimulatedWooCommerce, connector: WooCommerceConnector
) -> None:
    from orderhub.config import load_config
    from orderhub.worker.scheduler import Worker

    previous = os.umask(0o022)
    try:
        database = tmp_path / "store" / "orderhub.db"
        url = f"sqlite:///{database}"
        result = cli(url, "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert _mode(database) == 0o600 and _mode(database.parent) == 0o700

        # sync: the WAL and SHM files exist while a connection is open.
        engine = make_engine(url)
        shop.add_order(created=clock.now() - timedelta(hours=2))
        clock.advance(120)
        assert PullRunner(engine, connector).run().outcome == "succeeded"
        with engine.connect():
            for suffix in ("", "-wal", "-shm"):
                sidecar = database.with_name(database.name + suffix)
                assert _mode(sidecar) == 0o600, sidecar.name

        # run: the worker beats into the store (no file of its own); the store's files
        # stay private while it writes.
        config_file = tmp_path / "orderhub.toml"
        config_file.write_text("[orderhub]\n")
        config = load_config(config_file, env={}, defer_missing_secrets=True)
        worker = Worker(config, engine)
        worker.beat()
        with engine.connect():
            for suffix in ("", "-wal", "-shm"):
                sidecar = database.with_name(database.name + suffix)
                assert _mode(sidecar) == 0o600, sidecar.name
        assert sorted(p.name for p in database.parent.iterdir()) == [
            "orderhub.db",
            "orderhub.db-shm",
            "orderhub.db-wal",
        ]
        engine.dispose()

        # A store created 0644 by an older orderhub is made private when opened.
        legacy = tmp_path / "legacy.db"
        legacy.touch(mode=0o644)
        make_engine(f"sqlite:///{legacy}").dispose()
        assert _mode(legacy) == 0o600
    finally:
        os.umask(previous)

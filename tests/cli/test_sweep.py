"""A sweep of every command taking a number, a date or a file with values no store or
Python can hold: each ends with "problem + fix", a non-zero exit, no traceback, and nothing
half-written (the store's row counts are the same before and after)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from orderhub.store.tables import metadata

from .conftest import Cli, assert_clean_failure

HUGE = "99999999999999999999"
EARLY = "0001-01-01T00:00:00+14:00"
BIG_FIELD = "x" * (130 * 1024)


def _files(tmp: Path) -> dict[str, Path]:
    files = {
        "shipments-huge-qty.csv": f"order,carrier,tracking,sku,quantity\n1,ups,1Z1,A,{HUGE}\n",
        "shipments-early.csv": f"order,carrier,tracking,shipped_at\n1,ups,1Z2,{EARLY}\n",
        "shipments-big.csv": f'order,carrier,tracking\n1,ups,"{BIG_FIELD}"\n',
        "skus-huge.csv": f"ext_sku,internal_sku,quantity,account,channel\nA,B,{HUGE},,\n",
        "skus-big.csv": f'ext_sku,internal_sku,quantity,account,channel\n"{BIG_FIELD}",B,1,,\n',
        "catalog-big.csv": f'sku,title\n"{BIG_FIELD}",t\n',
        "catalog-huge.csv": f"sku,title,woo_product_id\nS,t,{HUGE}\n",
    }
    paths = {}
    for name, text in files.items():
        path = tmp / name
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def sweep(files: dict[str, Path]) -> list[list[str]]:
    return [
        ["orders", "show", HUGE],
        ["orders", "show", f"-{HUGE}"],
        ["orders", "list", "--limit", HUGE],
        ["pushes", "retry", HUGE],
        ["pushes", "list", "--limit", HUGE],
        ["shipments", "cancel", HUGE],
        ["shipments", "list", "--limit", HUGE],
        ["ship", HUGE, "--carrier", "ups", "--tracking", "1Z999AA10123456784"],
        [
            "ship",
            "1",
            "--carrier",
            "ups",
            "--tracking",
            "1Z999AA10123456784",
            "--shipped-at",
            EARLY,
        ],
        [
            "ship",
            "1",
            "--carrier",
            "ups",
            "--tracking",
            "1Z999AA10123456784",
            "--line",
            f"A={HUGE}",
        ],
        ["ship", "1", "--carrier", "ups", "--tracking", BIG_FIELD],
        ["skus", "map", "EXT", "INT", "--qty", HUGE],
        ["skus", "map", "EXT", "--component", f"INT={HUGE}"],
        ["skus", "map", BIG_FIELD, "INT"],
        ["skus", "explain", HUGE],
        ["skus", "unmapped", "--limit", HUGE],
        ["skus", "history", "--limit", HUGE],
        ["catalog", "list", "--limit", HUGE],
        ["failures", "--show", HUGE],
        ["sync", "shop", "--since", EARLY],
        ["shipments", "import", str(files["shipments-huge-qty.csv"])],
        ["shipments", "import", str(files["shipments-early.csv"])],
        ["shipments", "import", str(files["shipments-big.csv"])],
        ["skus", "import", str(files["skus-huge.csv"])],
        ["skus", "import", str(files["skus-big.csv"])],
        ["catalog", "import", str(files["catalog-big.csv"])],
        ["catalog", "import", str(files["catalog-huge.csv"])],
    ]


def _counts(database: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return {
                name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _may_succeed(command: list[str]) -> bool:
    """A huge --limit is a valid "no limit", and a 20-digit channel product id is text: the
    command may run, but never with a traceback."""
    return "--limit" in command or command[-1].endswith("catalog-huge.csv")


@pytest.mark.parametrize("index", range(27))
def test_out_of_range_input_is_refused_cleanly(synced: Cli, tmp_path: Path, index: int) -> None:
    command = sweep(_files(tmp_path))[index]
    database = synced.directory / "orderhub.db"
    before = _counts(database)
    result = synced(*command)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if result.exit_code == 0 and _may_succeed(command):
        return
    assert_clean_failure(result)
    # The problem (and, for orderhub's own messages, the fix); typer's usage errors say
    # what is wrong with the command line.
    assert any(word in result.output for word in ("Error", "Fix", "Usage")), result.output
    assert _counts(database) == before, f"{command[:2]} changed the store"


def test_the_sweep_covers_every_command_that_takes_a_number_a_date_or_a_file(
    tmp_path: Path,
) -> None:
    commands = {tuple(command[:2]) for command in sweep(_files(tmp_path))}
    assert len(sweep(_files(tmp_path))) == 27
    assert {("orders", "show"), ("pushes", "retry"), ("shipments", "cancel")} <= commands
    assert {("skus", "map"), ("skus", "import"), ("catalog", "import")} <= commands


def test_db_purge_dry_run_reports_and_changes_nothing(synced: Cli) -> None:
    database = synced.directory / "orderhub.db"
    before = _counts(database)
    result = synced("db", "purge", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would be erased" in " ".join(result.output.split())
    assert _counts(database) == before
    result = synced("db", "purge")
    assert result.exit_code == 0, result.output
    assert "were erased" in " ".join(result.output.split())

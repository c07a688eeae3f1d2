"""The benchmarks under ``bench/`` still run: each at a tiny size, as a script, checking that
its report is complete and its orderhub path stored every order. Speed is never asserted
here (it is what the benchmarks are for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderhub.testing.db import postgres_url

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def test_ingest_benchmark_runs_and_stores_every_order(tmp_path: Path) -> None:
    result = run_bench(
        "bench_ingest.py",
        tmp_path / "ingest.json",
        "--orders",
        "300",
        "--repeat",
        "1",
        "--reference-orders",
        "100",
    ).result

    assert result["benchmark"] == "ingest"
    paths = {path["path"]: path for path in result["paths"]}
    # The PostgreSQL leg runs when the tests have a server (ORDERHUB_TEST_DATABASE_URL).
    postgres = {
        "orderhub-pg",
        "orderhub-pg-unchanged",
        "orderhub-pg-store-only",
        "raw-psycopg",
        "raw-psycopg-every-row",
    }
    expected = {
        "orderhub",
        "orderhub-unchanged",
        "orderhub-store-only",
        "normalise-only",
        "raw-sqlite3",
        "raw-sqlite3-every-row",
        "orm-per-row",
        "select-then-write",
    }
    assert set(paths) == (expected | postgres if postgres_url() else expected)
    if postgres_url():
        pg_check = paths["orderhub-pg"]["check"]
        assert pg_check["same_rows_as_raw"] is True
        assert pg_check["stored"]["orders"] == 300
        assert pg_check["second_pass"]["unchanged"] == 300
        assert result["postgres_ratio"] == pytest.approx(paths["orderhub-pg"]["ratio"])
        assert paths["raw-psycopg-every-row"]["check"]["stored"] == pg_check["stored"]
        # Computed from the paths' own times; never bounded here, since at this size the
        # times are noise (a run once gave 1.18x).
        assert result["postgres_ceiling_ratio"] == pytest.approx(
            paths["raw-psycopg"]["best_seconds"]
            / max(
                paths["normalise-only"]["best_seconds"],
                paths["raw-psycopg-every-row"]["best_seconds"],
            ),
            rel=0.05,  # the seconds in the result are rounded
        )
    for path in paths.values():
        assert path["orders_per_s"] > 0
        assert path["rows_per_s"] > path["orders_per_s"]  # every order has lines
        assert path["ratio"] > 0
        assert len(path["seconds"]) == 1
    assert paths["orm-per-row"]["orders"] == paths["select-then-write"]["orders"] == 100
    assert result["ratio"] == pytest.approx(paths["orderhub"]["ratio"])
    assert isinstance(result["meets_target"], bool)

    check = paths["orderhub"]["check"]
    assert check["first_pass"] == {"created": 300, "updated": 0, "unchanged": 0, "quarantined": 0}
    assert check["second_pass"] == {"created": 0, "updated": 0, "unchanged": 300, "quarantined": 0}
    assert check["stored"]["orders"] == 300
    assert check["stored"]["order_events"] == 300
    assert check["stored"]["line_resolutions"] == check["stored"]["order_lines"]
    # Per order: the baseline writes it and its lines; orderhub also an event, a resolution
    # a line.
    lines = check["stored"]["order_lines"]
    assert result["rows_written_per_order"] == {
        "raw": round((300 + lines) / 300, 3),
        "orderhub": round((300 + lines + 300 + lines) / 300, 3),
    }
    assert check["stored"]["order_lines"] == paths["orderhub"]["lines"] >= 300
    assert check["same_rows_as_raw"] is True
    assert paths["raw-sqlite3"]["check"]["stored"] == {
        "orders": 300,
        "order_lines": paths["orderhub"]["lines"],
    }
    # The every-row floor writes what orderhub wrote, row for row.
    assert paths["raw-sqlite3-every-row"]["check"]["stored"] == check["stored"]
    assert result["ceiling_ratio"] == pytest.approx(
        paths["raw-sqlite3"]["best_seconds"]
        / (
            paths["normalise-only"]["best_seconds"] + paths["raw-sqlite3-every-row"]["best_seconds"]
        ),
        rel=0.05,  # the seconds in the result are rounded
    )


def test_memory_benchmark_syncs_every_order_in_fresh_processes(tmp_path: Path) -> None:
    result = run_bench("bench_memory.py", tmp_path / "memory.json", "--sizes", "400,200").result

    assert result["benchmark"] == "memory"
    sizes = result["sizes"]
    assert [size["orders"] for size in sizes] == [200, 400]
    for size in sizes:
        assert size["outcome"] == "succeeded", size["error"]
        assert size["fetched"] == size["created"] == size["stored"] == size["orders"]
        assert size["pages"] >= 1
        assert size["requests"] >= size["pages"]
        assert size["orders_per_s"] > 0
        assert 0 < size["rss_before_sync_mb"] <= size["peak_rss_mb"]
        assert size["sync_peak_rss_mb"] > 0
        assert size["peak_method"] in ("VmHWM", "sampled")
    assert isinstance(result["flat"], bool)
    assert isinstance(result["under_limit"], bool)

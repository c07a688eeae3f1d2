"""``bench/bench_matching.py`` still runs: at a tiny size, as a script, with a complete
report whose resolver reached every step as generated. Speed is never asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def test_matching_benchmark_runs_and_resolves_as_generated(tmp_path: Path) -> None:
    sizes = {
        "--lines": "3000",
        "--catalog": "500",
        "--mappings": "50",
        "--unresolved": "30",
        "--db-orders": "150",
        "--repeat": "1",
    }
    options = (x for item in sizes.items() for x in item)
    result = run_bench("bench_matching.py", tmp_path / "matching.json", *options).result
    assert result["benchmark"] == "matching"
    paths = {path["path"]: path for path in result["paths"]}
    assert set(paths) == {"resolver", "resolver-warm", "dict-lookup"}
    assert paths["resolver-warm"]["lines_per_s"] > 0
    resolver = paths["resolver"]
    assert resolver["methods_as_generated"] is True
    assert set(resolver["methods"]) == {
        "mapping",
        "exact",
        "normalised",
        "identifier",
        "unresolved",
    }
    assert resolver["lines_per_s"] > 0
    store = {item["database"]: item for item in result["store"]}
    assert "sqlite" in store
    sqlite = store["sqlite"]
    assert sqlite["orders"] == 150
    assert sqlite["check"]["lines"] == sqlite["lines"] == 300
    assert 0 < sqlite["check"]["unresolved"] < sqlite["lines"]
    suggestions = result["suggestions"]
    assert suggestions["queries"] == 30
    assert suggestions["source_in_top3"] > 0.5

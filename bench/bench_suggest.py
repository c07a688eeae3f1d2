"""How good SKU suggestions are: today's scorer and the previous one, side by side, on the
labelled evaluation set in ``bench/suggest_eval/`` (``make_eval.py`` writes it).

For each split (``dev``: looked at while the scorer was written; ``heldout``: never tuned
against) it reports, over the lines whose product the catalog carries, how often the right
catalog SKU is the first suggestion (top-1) and among the first three (top-3); over the
unrelated lines, how often anything is suggested at all; and how often a suggestion shown
as strong (the one printed with a ready ``skus map`` command) is wrong. Goals: top-3 at
least 95%, top-1 at least 85%, unrelated lines suggested at most 5%.

    python bench/bench_suggest.py            # prints the table, writes bench/results/
    python bench/bench_suggest.py --misses   # ... and lists the new scorer's misses
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _support import write_result

from orderhub.matching.suggest import Suggester

EVAL = Path(__file__).parent / "suggest_eval"
GOALS = {"top1": 0.85, "top3": 0.95, "unrelated_suggested": 0.05}


def legacy_suggester() -> type[Any]:
    """The scorer orderhub used before (rapidfuzz WRatio over SKUs and titles), kept
    verbatim in ``suggest_eval/legacy_suggest.py`` so both are measured in one run."""
    spec = importlib.util.spec_from_file_location("legacy_suggest", EVAL / "legacy_suggest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    suggester: type[Any] = module.Suggester
    return suggester


def load(directory: Path = EVAL) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    with (directory / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        catalog = [(row["sku"], row["title"]) for row in csv.DictReader(handle)]
    with (directory / "pairs.csv").open(encoding="utf-8", newline="") as handle:
        pairs = list(csv.DictReader(handle))
    return catalog, pairs


def measure(
    suggest: Callable[[str, str | None], list[Any]], pairs: list[dict[str, str]]
) -> dict[str, Any]:
    related = [p for p in pairs if p["expected_sku"]]
    unrelated = [p for p in pairs if not p["expected_sku"]]
    top1 = top3 = suggested = strong = strong_wrong = 0
    kinds: dict[str, Counter[str]] = {}
    misses: list[dict[str, Any]] = []
    start = time.perf_counter()
    for pair in pairs:
        found = suggest(pair["channel_sku"], pair["channel_title"] or None)
        skus = [s.sku for s in found]
        expected = pair["expected_sku"]
        tally = kinds.setdefault(pair["kind"], Counter())
        tally["n"] += 1
        if getattr(found[0], "strong", False) if found else False:
            strong += 1
            strong_wrong += skus[0] != expected
        if expected:
            top1 += bool(skus) and skus[0] == expected
            top3 += expected in skus
            tally["top1"] += bool(skus) and skus[0] == expected
            tally["top3"] += expected in skus
            if not skus or skus[0] != expected:
                misses.append({**pair, "got": [f"{s.sku} ({s.score:.0f})" for s in found]})
        elif found:
            suggested += 1
            tally["suggested"] += 1
            misses.append({**pair, "got": [f"{s.sku} ({s.score:.0f})" for s in found]})
    seconds = time.perf_counter() - start
    return {
        "related": len(related),
        "unrelated": len(unrelated),
        "top1": round(top1 / max(1, len(related)), 3),
        "top3": round(top3 / max(1, len(related)), 3),
        "unrelated_suggested": round(suggested / max(1, len(unrelated)), 3),
        "strong": strong,
        "strong_wrong": strong_wrong,
        "ms_per_line": round(seconds / max(1, len(pairs)) * 1000, 3),
        "kinds": {kind: dict(tally) for kind, tally in sorted(kinds.items())},
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--eval", type=Path, default=EVAL, help="folder of catalog.csv, pairs.csv")
    parser.add_argument("--misses", action="store_true", help="list the new scorer's misses")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    args = parser.parse_args(argv)
    catalog, pairs = load(args.eval)
    scorers = {"previous": legacy_suggester()(catalog), "orderhub": Suggester(catalog)}
    result: dict[str, Any] = {"catalog": len(catalog), "pairs": len(pairs), "goals": GOALS}
    splits = sorted({p["split"] for p in pairs})
    for name, scorer in scorers.items():
        result[name] = {
            split: measure(
                lambda sku, title, s=scorer: s.suggest(sku, title, limit=3),
                [p for p in pairs if p["split"] == split],
            )
            for split in splits
        }
        result[name]["all"] = measure(
            lambda sku, title, s=scorer: s.suggest(sku, title, limit=3), pairs
        )
    print(f"{len(catalog)} catalog SKUs, {len(pairs)} labelled lines\n")
    print(
        f"{'scorer':<10} {'split':<8} {'top-1':>6} {'top-3':>6} {'unrelated':>10} "
        f"{'strong wrong':>13} {'ms/line':>8}"
    )
    for name in scorers:
        for split in [*splits, "all"]:
            r = result[name][split]
            print(
                f"{name:<10} {split:<8} {r['top1']:>6.1%} {r['top3']:>6.1%} "
                f"{r['unrelated_suggested']:>10.1%} {r['strong_wrong']:>6}/{r['strong']:<6} "
                f"{r['ms_per_line']:>8.2f}"
            )
    new = result["orderhub"]["heldout" if "heldout" in splits else "all"]
    met = (
        new["top1"] >= GOALS["top1"]
        and new["top3"] >= GOALS["top3"]
        and new["unrelated_suggested"] <= GOALS["unrelated_suggested"]
    )
    result["meets_goals_on_heldout"] = met
    print(
        f"\ngoals (top-1 >= 85%, top-3 >= 95%, unrelated <= 5%) on held-out: "
        f"{'met' if met else 'NOT met'}"
    )
    if args.misses:
        for miss in result["orderhub"]["all"]["misses"]:
            print(
                f"  {miss['split']:<7} {miss['kind']:<10} {miss['channel_sku']!r} "
                f"{miss['channel_title']!r} -> expected {miss['expected_sku'] or '(none)'}, "
                f"got {miss['got']}"
            )
    for name in scorers:
        for split in result[name]:
            result[name][split].pop("misses")
    write_result("suggest", result, args.output, list(argv or sys.argv[1:]))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])

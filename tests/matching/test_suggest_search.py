"""The search behind ``Suggester.suggest`` scores only the catalog items whose bound can
reach the suggestions found: it must answer exactly what scoring every item answers
(the same items, scores, reasons and strong flag), on the labelled evaluation set, on
generated catalogs full of near variants, and on a catalog large enough that its common
words are left unlisted."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub.matching import Suggester

EVAL = Path(__file__).resolve().parents[2] / "bench" / "suggest_eval"


def _same(suggester: Suggester, sku: str | None, title: str | None, limit: int) -> None:
    fast = suggester.suggest(sku, title, limit=limit)
    every = suggester._suggest_scoring_every_item(sku, title, limit=limit)
    assert fast == every, (sku, title, limit)


def test_the_evaluation_set_gets_what_scoring_every_item_gives() -> None:
    with (EVAL / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        catalog = [(row["sku"], row["title"]) for row in csv.DictReader(handle)]
    with (EVAL / "pairs.csv").open(encoding="utf-8", newline="") as handle:
        pairs = list(csv.DictReader(handle))
    suggester = Suggester(catalog)
    for pair in pairs:
        for limit in (1, 3):
            _same(suggester, pair["channel_sku"], pair["channel_title"] or None, limit)


_COLOURS = ("blue", "blu", "black", "blk", "red", "navy", "mint", "grey", "org")
_KINDS = ("tee", "tees", "hoodie", "mug", "sock", "socks", "organic", "cap", "teal")
_SIZES = ("s", "m", "l", "xl", "medium", "large", "3pk", "6pk", "250g", "5m")


def _sku(colour: str, kind: str, number: int, size: str, joined: bool) -> str:
    words = [colour, kind, str(number), size] if number else [colour, kind, size]
    return ("" if joined else "-").join(words).upper()


_ITEM = st.tuples(
    st.sampled_from(_COLOURS),
    st.sampled_from(_KINDS),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(_SIZES),
    st.booleans(),
)


@st.composite
def _catalog_and_lines(
    draw: st.DrawFn,
) -> tuple[list[tuple[str, str | None]], list[tuple[str | None, str | None]]]:
    parts = draw(st.lists(_ITEM, min_size=1, max_size=120))
    catalog: dict[str, str | None] = {}
    for colour, kind, number, size, joined in parts:
        named = f"{colour.title()} {kind.title()} model {number} - {size.upper()}"
        catalog[_sku(colour, kind, number, size, joined)] = draw(st.sampled_from([named, None]))
    lines: list[tuple[str | None, str | None]] = []
    for colour, kind, number, size, joined in draw(st.lists(_ITEM, min_size=1, max_size=6)):
        spelled = _sku(colour, kind, number, size, joined)
        cut = draw(st.integers(min_value=0, max_value=len(spelled)))
        sku: str | None = draw(
            st.sampled_from(
                [
                    spelled,
                    spelled[:cut] + spelled[cut + 1 :],  # a typo
                    f"AMZ-{spelled}-FBA",
                    f"{size}-{number}-{kind}-{colour}",
                    "LST-4711",
                    None,
                ]
            )
        )
        title: str | None = draw(
            st.sampled_from([None, f"{kind} {colour} {number}", f"{colour} {kind}"])
        )
        lines.append((sku, title))
    return list(catalog.items()), lines


@settings(max_examples=150, deadline=None)
@given(data=_catalog_and_lines(), limit=st.integers(min_value=1, max_value=4))
def test_generated_catalogs_get_what_scoring_every_item_gives(
    data: tuple[list[tuple[str, str | None]], list[tuple[str | None, str | None]]], limit: int
) -> None:
    catalog, lines = data
    suggester = Suggester(catalog)
    for sku, title in lines:
        _same(suggester, sku, title, limit)


def test_a_large_catalog_gets_what_scoring_every_item_gives() -> None:
    """Thousands of items sharing their kind, colour, size and "model" words, as in
    bench/bench_matching.py: the search leaves the common words unlisted there."""
    rng = random.Random(15)
    colours = ("blue", "red", "green", "black", "white", "grey", "navy", "mint", "sand")
    kinds = ("tee", "hoodie", "mug", "cap", "sock", "tote", "poster", "jacket", "scarf")
    sizes = ("xs", "s", "m", "l", "xl", "xxl")
    catalog: dict[str, str] = {}
    while len(catalog) < 3_000:
        colour, kind, size = rng.choice(colours), rng.choice(kinds), rng.choice(sizes)
        model = rng.randint(1, 400)
        sku = f"{colour}-{kind}-{model}-{size}".upper()
        catalog[sku] = f"{colour.title()} {kind.title()} model {model} - {size.upper()}"
    suggester = Suggester(catalog.items())
    skus = list(catalog)
    for number in range(45):
        source = rng.choice(skus)
        words = source.lower().split("-")
        if number % 3 == 0:
            cut = rng.randrange(len(words[1]))
            words[1] = words[1][:cut] + words[1][cut + 1 :]
        else:
            rng.shuffle(words)
        sku = " ".join(words) if number % 3 != 2 else f"LST-{rng.randrange(10**6)}"
        title = catalog[source].lower() if number % 2 else None
        _same(suggester, sku, title, 3)


def test_an_item_with_only_common_words_of_the_line_is_not_cut_off() -> None:
    """The search before stopped taking items after the rarest words' first 1,500: here
    the 1,601 items with "organic", so TEE-M (72.9) was never scored."""
    catalog = [(f"ORGANIC-MUG-{n}", f"Organic Mug {n}") for n in range(1_600)]
    catalog += [(f"TEE-{n}-L", f"Tee {n}") for n in range(1_700)]
    catalog += [("TEE-M", "Tee M"), ("TEE-S", "Tee S"), ("ORGANIC-TEE-M", "Organic Tee M")]
    suggester = Suggester(catalog)
    found = suggester.suggest("organic tee m")
    assert [s.sku for s in found] == ["ORGANIC-TEE-M", "TEE-M"]
    for sku, title in (("organic tee m", None), ("TEE-ORGANIC", None), ("LST-1", "tee m")):
        _same(suggester, sku, title, 3)

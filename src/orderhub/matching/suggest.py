"""Suggestions for an unresolved line: the catalog items most like its SKU and title, each
with a score (0-100), the reason for it, and whether it is strong enough to map blindly.

A line reaches this only when its SKU matched nothing exactly, normalised, or through its
channel ids, so what is left is how sellers and channels rewrite SKUs: a marketplace prefix
or suffix (``AMZ-``, ``-FBA``), joined words (``BLUETEEM``), a typo, reordered words,
``BLK``/``Black``, ``M``/``Medium``, a multipack of one item, or a listing number with only
the title to go by. The score compares:

* **words** (the SKU's and the title's, against the item's SKU and title): each word of the
  line is matched to an item word that is equal, a close spelling (rapidfuzz ``ratio`` at
  least :data:`WORD_SIMILAR`) or an abbreviation (``org`` for ``organic``); words are
  weighted by how rare they are in the catalog (a model number says more than ``tee``).
  Coverage both ways counts: how much of the line the item explains, and how much of the
  item (its SKU or its title) the line explains.
* **the SKU spelled as one string** (separators ignored, marketplace decorations removed),
  which finds joined SKUs and typos across word boundaries.
* **attributes**: colours, sizes, pack counts and measures (``5m``, ``250g``). Equal values
  confirm; different values (size ``L`` for a line that says ``M``) cut the score hard,
  because that is the wrong variant, not a near miss.

A line and an item that share no product word (only a colour or a size, like
``MUG-ENAMEL-BLUE`` and ``BLUE-TEE-M``) and are not spelled alike get no suggestion at all,
nor does anything under :data:`MIN_SCORE`. A suggestion is *strong* (shown with a ready
``skus map`` command) only from :data:`STRONG_SCORE` up, clearly ahead of the next one, and
when the line accounts for every word and attribute of the item's SKU.

Only a few items are scored in full (see :mod:`.suggest_search`): every score has an upper
bound that is cheap to know for many items at once, from which of the line's words an item
has and how many words its SKU and title carry, so the search scores items best bound
first and stops when no bound left can reach the suggestions found. The result is exactly
that of scoring every item of the catalog (``tests/matching/test_suggest_search.py``).

This module is the public face: :class:`Suggester` and :class:`Suggestion`, and the
choice of the best few and whether the first is strong. The parts behind it:
:mod:`.suggest_text` reads words and attributes, :mod:`.suggest_catalog` reads and indexes
the catalog, :mod:`.suggest_score` scores one item for one line and says why, and
:mod:`.suggest_search` finds the few items worth scoring.

``bench/bench_suggest.py`` measures this against a labelled evaluation set,
``bench/bench_matching.py`` its speed on a 50,000-item catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orderhub.matching.suggest_catalog import WORD_SIMILAR, Catalog
from orderhub.matching.suggest_score import (
    MIN_SCORE,
    SPELLED_ALIKE,
    Line,
    accounted,
    read_line,
    reason,
    score_item,
)
from orderhub.matching.suggest_search import Search

__all__ = [
    "MIN_SCORE",
    "SPELLED_ALIKE",
    "STRONG_MARGIN",
    "STRONG_SCORE",
    "WORD_SIMILAR",
    "Suggester",
    "Suggestion",
]

#: From this score, and :data:`STRONG_MARGIN` ahead of the next one, a suggestion is strong.
STRONG_SCORE = 80.0
STRONG_MARGIN = 5.0


@dataclass(frozen=True)
class Suggestion:
    """A catalog item, how close it is (0-100) and why; ``strong`` when the score is high
    and clearly ahead of the next suggestion, so mapping it without a look is safe."""

    sku: str
    title: str | None
    score: float
    reason: str = ""
    strong: bool = False


class Suggester:
    """Built once from the catalog's (sku, title) pairs, then asked per unresolved SKU."""

    def __init__(self, items: Iterable[tuple[str, str | None]]) -> None:
        self._catalog = Catalog(items)
        self._search = Search(self._catalog)
        self.skus = [item.sku for item in self._catalog.items]

    def __len__(self) -> int:
        return len(self._catalog)

    def suggest(
        self, sku: str | None, title: str | None = None, *, limit: int = 3
    ) -> list[Suggestion]:
        """The ``limit`` best catalog items for a line with this SKU and title, best first
        (ties by SKU); items under :data:`MIN_SCORE` or sharing no product word with the
        line are left out."""
        line = read_line(self._catalog, sku, title)
        if line is None:
            return []
        # The runner-up's score decides whether the first is strong.
        return self._suggestions(line, self._search.search(line, max(limit, 2)), limit)

    def _suggest_scoring_every_item(
        self, sku: str | None, title: str | None = None, *, limit: int = 3
    ) -> list[Suggestion]:
        """What :meth:`suggest` answers, by scoring every catalog item: the reference the
        search is tested against."""
        catalog = self._catalog
        line = read_line(catalog, sku, title)
        if line is None:
            return []
        raw = [
            (score, position)
            for position, item in enumerate(catalog.items)
            if (score := score_item(catalog, item, line)) is not None and score >= MIN_SCORE
        ]
        return self._suggestions(line, raw, limit)

    def _suggestions(
        self, line: Line, raw: list[tuple[float, int]], limit: int
    ) -> list[Suggestion]:
        items = self._catalog.items
        # Sorted on the uncapped score, so an exact variant beats a near one even when
        # both show as 100.
        raw.sort(key=lambda r: (-r[0], items[r[1]].sku))
        best = []
        for value, position in raw[:limit]:
            item = items[position]
            why = reason(self._catalog, item, line)
            best.append(Suggestion(item.sku, item.title, round(min(100.0, value), 1), why))
        if best and best[0].score >= STRONG_SCORE:
            runner_up = raw[1][0] if len(raw) > 1 else 0.0
            if raw[0][0] - runner_up >= STRONG_MARGIN and accounted(items[raw[0][1]], line):
                first = best[0]
                best[0] = Suggestion(first.sku, first.title, first.score, first.reason, True)
        return best

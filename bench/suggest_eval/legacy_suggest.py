"""Suggestions for an unresolved line: the catalog items most like its SKU and title.

Scoring is rapidfuzz's ``WRatio`` (which weighs whole-string, partial and token-order
similarity) on normalised text, the best of: the line's SKU against the item's SKU, the
line's SKU against the item's title, and the line's title against the item's title. So
``blu tee m`` finds ``BLUE-TEE-M`` by its SKU and ``blue tshirt medium`` finds it by its
title ``Blue T-Shirt - M``.

``WRatio`` over a whole catalog is slow (about 30 ms per query for 50,000 items), so it only
ranks a short list: the candidates are the items closest by ``ratio`` on token-sorted text,
by SKU and, when the SKU finds nothing close, by title. Sorting the tokens first makes word
order matter as little to the short list as it does to ``WRatio``.

Even ``ratio`` over 50,000 SKUs costs about 2.5 ms, so the short list is first drawn from
the items sharing a rare word with the line (a model number, a colour code): when one of
those is close enough the search stops there, otherwise the whole catalog is scanned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from orderhub.matching.normalise import normalise_sku

#: How many candidates the cheap first pass hands to WRatio, per pass.
SHORTLIST = 10
#: Below this WRatio score a catalog item is no suggestion at all.
MIN_SCORE = 60.0
#: When the SKU pass already found an item this close, the title pass is skipped.
CLOSE_ENOUGH = 85.0
#: A word shared by at most this many items narrows the first pass...
RARE_WORD = 200
#: ... as long as the items sharing the query's rare words are at most this many.
BLOCK_LIMIT = 2_000


@dataclass(frozen=True)
class Suggestion:
    """A catalog item and how close it is (0-100)."""

    sku: str
    title: str | None
    score: float


def _sorted_tokens(text: str) -> str:
    return " ".join(sorted(text.split()))


class Suggester:
    """Built once from the catalog's (sku, title) pairs, then asked per unresolved SKU."""

    def __init__(self, items: Iterable[tuple[str, str | None]]) -> None:
        self.skus: list[str] = []
        self.titles: list[str | None] = []
        self._sku_keys: list[str] = []
        self._title_keys: list[str] = []
        self._sku_sorted: list[str] = []
        self._title_sorted: list[str] = []
        self._postings: dict[str, list[int]] = {}
        for position, (sku, title) in enumerate(items):
            self.skus.append(sku)
            self.titles.append(title)
            sku_key = normalise_sku(sku)
            title_key = normalise_sku(title) if title else ""
            self._sku_keys.append(sku_key)
            self._title_keys.append(title_key)
            self._sku_sorted.append(_sorted_tokens(sku_key))
            self._title_sorted.append(_sorted_tokens(title_key))
            for word in set(sku_key.split()) | set(title_key.split()):
                self._postings.setdefault(word, []).append(position)

    def __len__(self) -> int:
        return len(self.skus)

    def suggest(
        self, sku: str | None, title: str | None = None, *, limit: int = 3
    ) -> list[Suggestion]:
        """The ``limit`` best catalog items for a line with this SKU and title, best
        first (ties by SKU); items scoring under :data:`MIN_SCORE` are left out."""
        sku_key = normalise_sku(sku) if sku else ""
        title_key = normalise_sku(title) if title else ""
        if not (sku_key or title_key) or not self.skus:
            return []
        passes: list[tuple[str, list[str]]] = []
        if sku_key:
            passes.append((_sorted_tokens(sku_key), self._sku_sorted))
        for text in dict.fromkeys(key for key in (sku_key, title_key) if key):
            passes.append((_sorted_tokens(text), self._title_sorted))
        block = self._block(f"{sku_key} {title_key}".split())
        candidates: set[int] = set()
        # The SKU first, then the titles; among the items sharing a rare word first, then
        # the whole catalog: each step only when the previous found nothing close.
        for scope in ([block] if block else []) + [None]:
            best = 0.0
            for query, texts in passes:
                choices = texts if scope is None else {p: texts[p] for p in scope}
                for score, position in self._extract(query, choices):
                    candidates.add(position)
                    best = max(best, score)
                if best >= CLOSE_ENOUGH:
                    break
            if best >= CLOSE_ENOUGH:
                break
        scored: list[Suggestion] = []
        for position in candidates:
            score = 0.0
            item_sku, item_title = self._sku_keys[position], self._title_keys[position]
            if sku_key:
                score = fuzz.WRatio(sku_key, item_sku)
                if item_title:
                    score = max(score, fuzz.WRatio(sku_key, item_title))
            if title_key and item_title:
                score = max(score, fuzz.WRatio(title_key, item_title))
            if score >= MIN_SCORE:
                scored.append(
                    Suggestion(self.skus[position], self.titles[position], round(score, 1))
                )
        scored.sort(key=lambda s: (-s.score, s.sku))
        return scored[:limit]

    def _block(self, words: list[str]) -> set[int] | None:
        """The items sharing a rare word with the query, when they are few enough."""
        rare = [
            postings
            for word in set(words)
            if (postings := self._postings.get(word)) is not None and len(postings) <= RARE_WORD
        ]
        if not rare:
            return None
        items: set[int] = set()
        for postings in rare:
            items.update(postings)
        return items if len(items) <= BLOCK_LIMIT else None

    @staticmethod
    def _extract(query: str, choices: list[str] | dict[int, str]) -> list[tuple[float, int]]:
        return [
            (score, int(position))
            for _, score, position in process.extract(
                query, choices, scorer=fuzz.ratio, limit=SHORTLIST, score_cutoff=40
            )
        ]

"""The catalog as the suggester reads it: each item's words, attributes and compact SKU,
read once, and the indexes over them that the search (:mod:`.suggest_search`) and the
scorer (:mod:`.suggest_score`) look things up in.

What is here is built once per catalog and only read afterwards, apart from a few
memos (a line word's expansions, a common word's items) that the lines of one report
share. How the catalog's items are read as words is :mod:`.suggest_text`'s job; how
they are scored and searched is not this module's.
"""

from __future__ import annotations

import gc
import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from orderhub.matching.normalise import normalise_sku
from orderhub.matching.suggest_text import TokenMemo, Words, compact_sku, merge_words, read_words

#: Two words this alike (rapidfuzz ``ratio``) count as one misspelt word.
WORD_SIMILAR = 80.0


@dataclass
class Item:
    """One catalog item, read once.

    A build keeps only what scoring reads, and shares what items have alike: every
    object kept per item is one more for the cyclic garbage collector to walk, several
    times over as the catalog ages through its generations (with a Words object and four
    sets each for the SKU, the title and both, that walk cost more than reading the
    catalog)."""

    sku: str
    title: str | None
    # The SKU's and the title's product words, in their order (for the item covers).
    sku_heads: list[str]
    title_heads: list[str]
    heads: frozenset[str]
    compact: str
    # The SKU's own attributes (for whether a line accounts for them) and those of the
    # SKU and title together (for the factor): one object per kind, shared by the items
    # of that kind, with no product words.
    sku_attrs: Words
    attrs: Words
    # The weights of the SKU's and of the title's product words, summed.
    sku_total: float = 0.0
    title_total: float = 0.0


class Catalog:
    """The catalog's items and the indexes over them: which items have each word, each
    word's weight, the items grouped by kind of attributes and by the length of their
    compact SKU, and the vocabulary a line's words are expanded against."""

    def __init__(self, items: Iterable[tuple[str, str | None]]) -> None:
        # Reading a catalog makes several small objects per item, none of them in a
        # reference cycle; the cyclic collector's passes over the growing heap took two
        # thirds of the time for 50,000 items, so it waits until the catalog is read.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._read(items)
        finally:
            if collecting:
                gc.enable()

    def _read(self, items: Iterable[tuple[str, str | None]]) -> None:
        self.items: list[Item] = []
        self.postings: dict[str, list[int]] = {}
        # Items with the same attributes have the same factor for a line: each kind of
        # them is numbered in the order first met, and its first item's attributes stand
        # for all of them.
        kinds: dict[tuple[frozenset[str], ...], int] = {}
        self.attribute_kinds: list[Words] = []
        attribute_kind: list[int] = []
        sku_kinds: dict[tuple[frozenset[str], ...], Words] = {}
        # A catalog's SKUs and titles repeat their words: each is read once per build.
        sku_memo: TokenMemo = {}
        title_memo: TokenMemo = {}
        for position, (sku, title) in enumerate(items):
            normalised = normalise_sku(sku)
            sku_words = read_words(sku, sku=True, key=normalised, memo=sku_memo)
            title_words = read_words(title, sku=False, memo=title_memo)
            key = (
                frozenset(sku_words.sizes | title_words.sizes),
                frozenset(sku_words.colours | title_words.colours),
                frozenset(sku_words.measures | title_words.measures),
                frozenset(sku_words.packs | title_words.packs),
            )
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = len(self.attribute_kinds)
                self.attribute_kinds.append(merge_words(sku_words, title_words))
            attribute_kind.append(kind)
            sku_key = (
                frozenset(sku_words.colours),
                frozenset(sku_words.sizes),
                frozenset(sku_words.packs),
                frozenset(sku_words.measures),
            )
            sku_attrs = sku_kinds.get(sku_key)
            if sku_attrs is None:
                sku_attrs = sku_kinds[sku_key] = Words(
                    [], sku_words.colours, sku_words.sizes, sku_words.packs, sku_words.measures
                )
            heads = frozenset(sku_words.heads + title_words.heads)
            self.items.append(
                Item(
                    sku,
                    title,
                    sku_words.heads,
                    title_words.heads,
                    heads,
                    compact_sku(sku, normalised),
                    sku_attrs,
                    self.attribute_kinds[kind],
                )
            )
            for word in heads:
                self.postings.setdefault(word, []).append(position)
        count = len(self.items)
        self.weights = {w: math.log(1 + count / len(p)) for w, p in self.postings.items()}
        self.unseen_weight = math.log(1 + count)
        # Per item: its words' weights summed, and the least denominator its item cover
        # can have (its SKU's or its title's words, weighted, over the most times one word
        # repeats: an item cover is at most the matched words' weight over this).
        weights = self.weights
        cover_floor: list[float] = []
        for item in self.items:
            floor = math.inf
            if item.sku_heads:
                item.sku_total = sum(weights[w] for w in item.sku_heads)
                floor = item.sku_total / _most_repeated(item.sku_heads)
            if item.title_heads:
                item.title_total = sum(weights[w] for w in item.title_heads)
                floor = min(floor, item.title_total / _most_repeated(item.title_heads))
            cover_floor.append(floor)
        self.cover_floor = array("d", cover_floor)
        self.least_cover_floor = min(cover_floor, default=math.inf)
        self.attribute_kind = array("l", attribute_kind)
        # The compact SKUs per kind of attributes and by length, so that the pass for the
        # ones spelled alike reads only those of a kind and a length that can be.
        by_length = sorted(range(count), key=lambda p: len(self.items[p].compact))
        by_kind: list[list[int]] = [[] for _ in self.attribute_kinds]
        for position in by_length:
            by_kind[attribute_kind[position]].append(position)
        self.kind_positions = [array("l", positions) for positions in by_kind]
        self.kind_compacts = [
            _packed([self.items[p].compact for p in positions]) for positions in by_kind
        ]
        self.kind_lengths = [[len(c) for c in compacts] for compacts in self.kind_compacts]
        self._commons: dict[str, tuple[frozenset[int], dict[int, list[int]]]] = {}
        self._vocabulary = _packed(list(self.postings))
        self._vocabulary_rank = {word: rank for rank, word in enumerate(self._vocabulary)}
        self._sorted_vocabulary = sorted(self._vocabulary)
        self._expansions: dict[str, dict[str, float]] = {}

    def __len__(self) -> int:
        return len(self.items)

    def weight(self, word: str) -> float:
        """How much a catalog word says: rare words (a model number) weigh most."""
        return self.weights.get(word, self.unseen_weight)

    def expand(self, word: str) -> dict[str, float]:
        """The catalog words a line's word stands for, with how alike (0-1). Kept per
        word: the lines of one report share most of their words."""
        found = self._expansions.get(word)
        if found is None:
            found = self._expansions[word] = self._expand_word(word)
        return found

    def _expand_word(self, word: str) -> dict[str, float]:
        found: dict[str, float] = {}
        if word in self.postings:
            found[word] = 1.0
        if len(word) >= 4 and not word.isdigit():
            for other, score, _ in process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, limit=5, score_cutoff=WORD_SIMILAR
            ):
                found.setdefault(other, score / 100)
        if len(word) >= 3 and not word.isdigit():
            # An abbreviation: one is the start of the other ("org"/"organic"). The longer
            # words from the sorted vocabulary, the shorter ones by their prefixes, then
            # in the vocabulary's order, as a scan of it would find them.
            others = {word[:end] for end in range(3, len(word)) if word[:end] in self.postings}
            vocabulary = self._sorted_vocabulary
            at = bisect_left(vocabulary, word)
            while at < len(vocabulary) and vocabulary[at].startswith(word):
                if vocabulary[at] != word:
                    others.add(vocabulary[at])
                at += 1
            for other in sorted(others, key=self._vocabulary_rank.__getitem__):
                found.setdefault(other, 0.85)
        return found

    def common(self, word: str) -> tuple[frozenset[int], dict[int, list[int]]]:
        """The items having this (common) catalog word, as a set and by kind of
        attributes; kept, as a report's lines share their common words."""
        found = self._commons.get(word)
        if found is None:
            by_kind: dict[int, list[int]] = {}
            for position in self.postings[word]:
                by_kind.setdefault(self.attribute_kind[position], []).append(position)
            found = self._commons[word] = (frozenset(self.postings[word]), by_kind)
        return found


def _most_repeated(words: list[str]) -> int:
    """How many times the most repeated of these words is there."""
    return 1 if len(set(words)) == len(words) else max(Counter(words).values())


def _packed(texts: list[str]) -> list[str]:
    """The same strings, copied next to each other in memory: rapidfuzz's pass over
    50,000 SKUs takes several times longer when the strings are strewn among the other
    objects built with them (measured: 2.5 ms against 18 ms a line). Neither a SKU's
    compact form nor a word has a line break (``normalise_sku`` turns one into a
    separator)."""
    copied = "\n".join(texts).split("\n")
    return copied if len(copied) == len(texts) else texts

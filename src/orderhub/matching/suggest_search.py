"""The bound-ordered search: which catalog items a line's suggestions can be among,
found without scoring every item.

Every score (:mod:`.suggest_score`) has an upper bound that is cheap to know for many
items at once, from which of the line's words an item has and how many words its SKU
and title carry; the search scores items best bound first and stops when no bound left
can reach the suggestions found. The result is exactly that of scoring every item of
the catalog (``tests/matching/test_suggest_search.py``), so every bound here must stay
at or above the score it bounds.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from orderhub.matching.suggest_catalog import Catalog
from orderhub.matching.suggest_score import (
    ATTRIBUTES,
    MIN_SCORE,
    SPELLED_ALIKE,
    Line,
    attribute_factor,
    score_item,
)
from orderhub.matching.suggest_text import Words

# A listed catalog word with more items than this has them read by kind of attributes.
_COMMON = 256
# At most this many lines' attributes have their factors per kind kept.
_KEPT_FACTORS = 1_000
# What a bound may fall short of the score it bounds by float rounding alone (the bound
# adds the same terms in another order); on the 0-1 scale.
_SLACK = 1e-9


@dataclass
class _Word:
    """One of the line's words as the search sees it: the catalog words it stands for
    (with how alike, and their weights), its weight when unmatched, and the most it can
    add to a cover's numerator and the least to its denominator when it is not known
    whether an item has it."""

    expansions: list[tuple[str, float, float]]  # (catalog word, alike, its weight)
    unmatched: float
    most: float
    least: float


class Search:
    """The search over one catalog, with what it keeps between the lines of a report
    (each kind of attributes' factor for the attributes a line has)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._kind_factors: dict[tuple[frozenset[str], ...], list[float]] = {}

    def search(self, line: Line, keep: int) -> list[tuple[float, int]]:
        """The items scoring at least :data:`MIN_SCORE`, among them for certain the
        ``keep`` best of the whole catalog (and any tied with the last of those).

        An item's score is its words score or its spelling (whichever is higher) times
        its attribute factor, which is known per item from its attributes. The spelling
        counts from :data:`SPELLED_ALIKE` only, so the items spelled alike are found by
        one rapidfuzz pass over the catalog's SKUs. The words score is 0.6 x line cover
        + 0.4 x item cover: the line cover follows from which of the line's words an item
        has, and the item cover is at most the weight of those words over the item's
        least cover denominator. The items having the line's rarest words are listed
        (as one bit per catalog word); a common word (``model`` in every title) is left
        unlisted as soon as an item having none of the listed words cannot reach
        :data:`MIN_SCORE` whatever it has of the rest, and is then bounded as if every
        listed item had it."""
        catalog = self._catalog
        most_factor = 1.05 ** sum(1 for name in ATTRIBUTES if getattr(line.attrs, name))
        floor = MIN_SCORE / 100 - _SLACK
        factors = self._factors(line.attrs)
        spelled = self._spelled_alike(line.compact, factors, floor)
        words = self._search_words(line)
        listed, known, unknown = self._listed(words, floor / most_factor)
        has: dict[int, int] = dict.fromkeys(spelled, 0)
        bits = {catalog_word: 1 << bit for bit, catalog_word in enumerate(listed)}
        # The commonest listed word's items are not listed one by one: those that have
        # another listed word get its bit, the rest are read by kind of attributes below.
        listed.sort(key=lambda w: len(catalog.postings[w]))
        common = listed.pop() if listed and len(catalog.postings[listed[-1]]) > _COMMON else None
        for catalog_word in listed:
            bit = bits[catalog_word]
            for position in catalog.postings[catalog_word]:
                has[position] = has.get(position, 0) | bit
        if common is not None:
            common_set, common_by_kind = catalog.common(common)
            for position in has:
                if position in common_set:
                    has[position] |= bits[common]
        groups: dict[int, list[int]] = {}
        for position, mask in has.items():
            groups.setdefault(mask, []).append(position)
        open_most = sum(words[i].most for i in unknown)
        open_least = sum(words[i].least for i in unknown)
        cover_floor, kinds = catalog.cover_floor, catalog.attribute_kind
        bounds: list[tuple[float, int]] = []
        for mask, members in groups.items():
            line_cover, matched = _known_cover(
                words, known, bits, mask, open_most=open_most, open_least=open_least
            )
            words_part = 0.6 * line_cover
            sharing = matched > 0
            # The most any member's words can score, so the least factor it needs.
            best_words = words_part + 0.4 * min(1.0, matched / catalog.least_cover_floor)
            if best_words * most_factor < floor and not any(p in spelled for p in members):
                continue
            needed = floor / best_words if best_words > 0 else math.inf
            for position in members:
                factor = factors[kinds[position]]
                if factor < needed and position not in spelled:
                    continue
                bound = spelled.get(position, 0.0)
                if sharing:
                    bound = max(bound, words_part + 0.4 * min(1.0, matched / cover_floor[position]))
                bound *= factor
                if bound >= floor:
                    bounds.append((bound, position))
        if common is not None:
            # The items having the commonest listed word and no other.
            line_cover, matched = _known_cover(
                words, known, bits, bits[common], open_most=open_most, open_least=open_least
            )
            words_part = 0.6 * line_cover
            best_words = words_part + 0.4 * min(1.0, matched / catalog.least_cover_floor)
            needed = floor / best_words if best_words > 0 else math.inf
            for kind, members in common_by_kind.items():
                factor = factors[kind]
                if factor < needed:
                    continue
                for position in members:
                    if position in has:
                        continue
                    bound = factor * (words_part + 0.4 * min(1.0, matched / cover_floor[position]))
                    if bound >= floor:
                        bounds.append((bound, position))
        bounds.sort(reverse=True)
        raw: list[tuple[float, int]] = []
        kept: list[float] = []  # the `keep` best scores so far, least first
        for bound, position in bounds:
            if len(kept) >= keep and (bound + _SLACK) * 100 < kept[0]:
                break
            found = score_item(self._catalog, catalog.items[position], line)
            if found is None or found < MIN_SCORE:
                continue
            score = found
            raw.append((score, position))
            if len(kept) < keep:
                heapq.heappush(kept, score)
            else:
                heapq.heappushpop(kept, score)
        return raw

    def _factors(self, attrs: Words) -> list[float]:
        """Each kind of attributes' factor for a line with these attributes (kept: the
        lines of one report have few different attributes)."""
        key = tuple(frozenset(getattr(attrs, name)) for name in ATTRIBUTES)
        factors = self._kind_factors.get(key)
        if factors is None:
            factors = [attribute_factor(kind, attrs) for kind in self._catalog.attribute_kinds]
            if len(self._kind_factors) < _KEPT_FACTORS:
                self._kind_factors[key] = factors
        return factors

    def _spelled_alike(self, compact: str, factors: list[float], floor: float) -> dict[int, float]:
        """The items whose SKU is spelled like ``compact`` (:data:`SPELLED_ALIKE` or more),
        with how alike (0-1), among those whose attributes' factor reaches ``floor`` (the
        others cannot: neither words nor spelling score more than 1)."""
        catalog = self._catalog
        if not compact:
            return {}
        # rapidfuzz's ratio is 2 x common / (both lengths): at most 2 x the shorter
        # length over both, which bounds the lengths that can reach the cutoff.
        cutoff = SPELLED_ALIKE - 1
        shortest = math.floor(len(compact) * cutoff / (200 - cutoff))
        longest = math.ceil(len(compact) * (200 - cutoff) / cutoff)
        compacts: list[str] = []
        starts: list[int] = []  # where each kind's run starts in compacts
        runs: list[tuple[array[int], int]] = []  # (its positions, the first one's index)
        for kind, factor in enumerate(factors):
            if factor < floor:
                continue
            lengths = catalog.kind_lengths[kind]
            low, high = bisect_left(lengths, shortest), bisect_left(lengths, longest + 1)
            if low < high:
                starts.append(len(compacts))
                runs.append((catalog.kind_positions[kind], low))
                compacts.extend(catalog.kind_compacts[kind][low:high])
        found: dict[int, float] = {}
        for _, score, index in process.extract(
            compact, compacts, scorer=fuzz.ratio, limit=None, score_cutoff=cutoff
        ):
            # words_and_spelling's own test, so no item it counts as spelled alike is
            # missed.
            if score / 100 * 100 >= SPELLED_ALIKE:
                run = bisect_right(starts, int(index)) - 1
                positions, low = runs[run]
                found[positions[low + int(index) - starts[run]]] = score / 100
        return found

    def _search_words(self, line: Line) -> list[_Word]:
        catalog = self._catalog
        words: list[_Word] = []
        for word in line.heads:
            unmatched = line.unmatched[word]
            expansions = [
                (other, alike, catalog.weight(other))
                for other, alike in line.expansions[word].items()
            ]
            most = max((weight * alike for _, alike, weight in expansions), default=0.0)
            least = min([unmatched, *(weight for _, _, weight in expansions)])
            words.append(_Word(expansions, unmatched, most, least))
        return words

    def _listed(self, words: list[_Word], floor: float) -> tuple[list[str], list[int], list[int]]:
        """The catalog words whose items are listed, rarest first, and the line's words
        that makes known (all their catalog words listed) and unknown: an item with none
        of the listed words cannot reach ``floor`` whatever it has of the unknown ones."""
        catalog = self._catalog
        listed: dict[str, None] = {}
        known = [i for i, word in enumerate(words) if not word.expansions]
        unknown = [i for i, word in enumerate(words) if word.expansions]
        while unknown:
            absent = sum(words[i].unmatched for i in known)
            most = sum(words[i].most for i in unknown)
            least = sum(words[i].least for i in unknown)
            line_cover = min(1.0, most / (absent + least)) if absent + least else 1.0
            item_cover = min(1.0, most / catalog.least_cover_floor)
            if 0.6 * line_cover + 0.4 * item_cover < floor:
                break

            def cost(index: int) -> int:
                return sum(
                    len(catalog.postings[other])
                    for other, _, _ in words[index].expansions
                    if other not in listed
                )

            for other, _, _ in words[min(unknown, key=cost)].expansions:
                listed[other] = None
            known = [
                i for i, word in enumerate(words) if all(o in listed for o, _, _ in word.expansions)
            ]
            unknown = [i for i in range(len(words)) if i not in known]
        return list(listed), known, unknown


def _known_cover(
    words: list[_Word],
    known: list[int],
    bits: dict[str, int],
    mask: int,
    *,
    open_most: float,
    open_least: float,
) -> tuple[float, float]:
    """For the items having exactly the listed catalog words in ``mask``: the most their
    line cover can be, and the most their matched words weigh (the numerator of an item
    cover); both 0 when they can match none of the line's words."""
    covered = total = 0.0
    hit: dict[str, tuple[float, float]] = {}
    for index in known:
        word = words[index]
        best_word, best, best_weight = "", 0.0, 0.0
        for other, alike, weight in word.expansions:
            if mask & bits[other] and alike > best:
                best_word, best, best_weight = other, alike, weight
        if best_word:
            covered += best_weight * best
            total += best_weight
            if best > hit.get(best_word, (0.0, 0.0))[0]:
                hit[best_word] = (best, best_weight)
        else:
            total += word.unmatched
    if not hit and not open_most:
        return 0.0, 0.0
    covered_most = covered + open_most
    total_least = total + open_least
    line_cover = min(1.0, covered_most / total_least) if total_least else 0.0
    matched = sum(alike * weight for alike, weight in hit.values()) + open_most
    return line_cover, matched

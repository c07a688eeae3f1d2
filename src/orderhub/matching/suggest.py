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

Only a few items are scored in full (see :meth:`Suggester._search`): every score has an upper
bound that is cheap to know for many items at once, from which of the line's words an item
has and how many words its SKU and title carry, so the search scores items best bound
first and stops when no bound left can reach the suggestions found. The result is exactly
that of scoring every item of the catalog (``tests/matching/test_suggest_search.py``).

``bench/bench_suggest.py`` measures this against a labelled evaluation set,
``bench/bench_matching.py`` its speed on a 50,000-item catalog.
"""

from __future__ import annotations

import gc
import heapq
import math
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from orderhub.matching.normalise import normalise_sku
from orderhub.matching.suggest_text import Words, compact_sku, merge_words, read_words

#: Below this score a catalog item is no suggestion at all.
MIN_SCORE = 55.0
#: From this score, and :data:`STRONG_MARGIN` ahead of the next one, a suggestion is strong.
STRONG_SCORE = 80.0
STRONG_MARGIN = 5.0
#: Two words this alike (rapidfuzz ``ratio``) count as one misspelt word.
WORD_SIMILAR = 80.0
#: Two SKUs spelled this alike as one string (separators ignored) count as the same.
SPELLED_ALIKE = 85.0

_ATTRIBUTES = ("sizes", "colours", "measures", "packs")
# A listed catalog word with more items than this has them read by kind of attributes.
_COMMON = 256
# At most this many lines' attributes have their factors per kind kept.
_KEPT_FACTORS = 1_000
# What a bound may fall short of the score it bounds by float rounding alone (the bound
# adds the same terms in another order); on the 0-1 scale.
_SLACK = 1e-9


@dataclass(frozen=True)
class Suggestion:
    """A catalog item, how close it is (0-100) and why; ``strong`` when the score is high
    and clearly ahead of the next suggestion, so mapping it without a look is safe."""

    sku: str
    title: str | None
    score: float
    reason: str = ""
    strong: bool = False


@dataclass
class _Item:
    sku: str
    title: str | None
    sku_words: Words
    title_words: Words
    heads: frozenset[str]
    compact: str
    attrs: Words
    # Each head word's weight and their sum, of the SKU and of the title, for the covers.
    sku_weights: list[float] = field(default_factory=list)
    sku_total: float = 0.0
    title_weights: list[float] = field(default_factory=list)
    title_total: float = 0.0


@dataclass
class _Line:
    """An unresolved line as the scorer reads it."""

    sku_words: Words
    title_words: Words
    attrs: Words
    heads: list[str]
    expansions: dict[str, dict[str, float]]
    compact: str
    # Each head word's weight when no word of an item matches it.
    unmatched: dict[str, float]


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


class Suggester:
    """Built once from the catalog's (sku, title) pairs, then asked per unresolved SKU."""

    def __init__(self, items: Iterable[tuple[str, str | None]]) -> None:
        # Reading a catalog makes several small objects per item, none of them in a
        # reference cycle; the cyclic collector's passes over the growing heap took two
        # thirds of the time for 50,000 items, so it waits until the catalog is read.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._read_catalog(items)
        finally:
            if collecting:
                gc.enable()

    def _read_catalog(self, items: Iterable[tuple[str, str | None]]) -> None:
        self._items: list[_Item] = []
        self._postings: dict[str, list[int]] = {}
        for position, (sku, title) in enumerate(items):
            normalised = normalise_sku(sku)
            sku_words = read_words(sku, sku=True, key=normalised)
            title_words = read_words(title, sku=False)
            heads = frozenset(sku_words.heads + title_words.heads)
            attrs = merge_words(sku_words, title_words)
            self._items.append(
                _Item(
                    sku, title, sku_words, title_words, heads, compact_sku(sku, normalised), attrs
                )
            )
            for word in heads:
                self._postings.setdefault(word, []).append(position)
        count = len(self._items)
        self._weights = {w: math.log(1 + count / len(p)) for w, p in self._postings.items()}
        self._unseen_weight = math.log(1 + count)
        # Per item: its words' weights, the least denominator its item cover can have
        # (its SKU's or its title's words, weighted, over the most times one word repeats:
        # an item cover is at most the matched words' weight over this), and its kind of
        # attributes (items with the same attributes have the same factor for a line).
        weights = self._weights
        cover_floor: list[float] = []
        kinds: dict[tuple[frozenset[str], ...], int] = {}
        self._attribute_kinds: list[Words] = []
        attribute_kind: list[int] = []
        for item in self._items:
            floor = math.inf
            item.sku_weights = [weights[w] for w in item.sku_words.heads]
            item.sku_total = sum(item.sku_weights)
            if item.sku_weights:
                floor = item.sku_total / _most_repeated(item.sku_words.heads)
            item.title_weights = [weights[w] for w in item.title_words.heads]
            item.title_total = sum(item.title_weights)
            if item.title_weights:
                floor = min(floor, item.title_total / _most_repeated(item.title_words.heads))
            cover_floor.append(floor)
            attrs = item.attrs
            key = (
                frozenset(attrs.sizes),
                frozenset(attrs.colours),
                frozenset(attrs.measures),
                frozenset(attrs.packs),
            )
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = len(self._attribute_kinds)
                self._attribute_kinds.append(attrs)
            attribute_kind.append(kind)
        self._cover_floor = array("d", cover_floor)
        self._least_cover_floor = min(cover_floor, default=math.inf)
        self._attribute_kind = array("l", attribute_kind)
        # The compact SKUs per kind of attributes and by length, so that the pass for the
        # ones spelled alike reads only those of a kind and a length that can be.
        by_length = sorted(range(count), key=lambda p: len(self._items[p].compact))
        by_kind: list[list[int]] = [[] for _ in self._attribute_kinds]
        for position in by_length:
            by_kind[attribute_kind[position]].append(position)
        self._kind_positions = [array("l", positions) for positions in by_kind]
        self._kind_compacts = [
            _packed([self._items[p].compact for p in positions]) for positions in by_kind
        ]
        self._kind_lengths = [[len(c) for c in compacts] for compacts in self._kind_compacts]
        self._kind_factors: dict[tuple[frozenset[str], ...], list[float]] = {}
        self._commons: dict[str, tuple[frozenset[int], dict[int, list[int]]]] = {}
        self._vocabulary = _packed(list(self._postings))
        self._vocabulary_rank = {word: rank for rank, word in enumerate(self._vocabulary)}
        self._sorted_vocabulary = sorted(self._vocabulary)
        self._expansions: dict[str, dict[str, float]] = {}
        self.skus = [item.sku for item in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def _weight(self, word: str) -> float:
        """How much a catalog word says: rare words (a model number) weigh most."""
        return self._weights.get(word, self._unseen_weight)

    def _expand(self, word: str) -> dict[str, float]:
        """The catalog words a line's word stands for, with how alike (0-1). Kept per
        word: the lines of one report share most of their words."""
        found = self._expansions.get(word)
        if found is None:
            found = self._expansions[word] = self._expand_word(word)
        return found

    def _expand_word(self, word: str) -> dict[str, float]:
        found: dict[str, float] = {}
        if word in self._postings:
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
            others = {word[:end] for end in range(3, len(word)) if word[:end] in self._postings}
            vocabulary = self._sorted_vocabulary
            at = bisect_left(vocabulary, word)
            while at < len(vocabulary) and vocabulary[at].startswith(word):
                if vocabulary[at] != word:
                    others.add(vocabulary[at])
                at += 1
            for other in sorted(others, key=self._vocabulary_rank.__getitem__):
                found.setdefault(other, 0.85)
        return found

    def suggest(
        self, sku: str | None, title: str | None = None, *, limit: int = 3
    ) -> list[Suggestion]:
        """The ``limit`` best catalog items for a line with this SKU and title, best first
        (ties by SKU); items under :data:`MIN_SCORE` or sharing no product word with the
        line are left out."""
        line = self._line(sku, title)
        if line is None:
            return []
        # The runner-up's score decides whether the first is strong.
        return self._suggestions(line, self._search(line, max(limit, 2)), limit)

    def _suggest_scoring_every_item(
        self, sku: str | None, title: str | None = None, *, limit: int = 3
    ) -> list[Suggestion]:
        """What :meth:`suggest` answers, by scoring every catalog item: the reference the
        search is tested against."""
        line = self._line(sku, title)
        if line is None:
            return []
        raw = [
            (score, position)
            for position, item in enumerate(self._items)
            if (score := self._score(item, line)) is not None and score >= MIN_SCORE
        ]
        return self._suggestions(line, raw, limit)

    def _line(self, sku: str | None, title: str | None) -> _Line | None:
        if not self._items or not ((sku and sku.strip()) or (title and title.strip())):
            return None
        line_sku = read_words(sku, sku=True)
        line_title = read_words(title, sku=False)
        heads = list(dict.fromkeys(line_sku.heads + line_title.heads))
        unmatched = {}
        for word in heads:
            weight = self._weight(word)
            # A listing number or a word the catalog never uses says little either way.
            if any(c.isdigit() for c in word) or word not in self._postings:
                weight *= 0.35
            unmatched[word] = weight
        return _Line(
            line_sku,
            line_title,
            merge_words(line_sku, line_title),
            heads,
            {word: self._expand(word) for word in heads},
            compact_sku(sku) if sku else "",
            unmatched,
        )

    def _suggestions(
        self, line: _Line, raw: list[tuple[float, int]], limit: int
    ) -> list[Suggestion]:
        # Sorted on the uncapped score, so an exact variant beats a near one even when
        # both show as 100.
        raw.sort(key=lambda r: (-r[0], self._items[r[1]].sku))
        best = []
        for value, position in raw[:limit]:
            item = self._items[position]
            reason = self._reason(item, line)
            best.append(Suggestion(item.sku, item.title, round(min(100.0, value), 1), reason))
        if best and best[0].score >= STRONG_SCORE:
            runner_up = raw[1][0] if len(raw) > 1 else 0.0
            if raw[0][0] - runner_up >= STRONG_MARGIN and _accounted(self._items[raw[0][1]], line):
                first = best[0]
                best[0] = Suggestion(first.sku, first.title, first.score, first.reason, True)
        return best

    def _search(self, line: _Line, keep: int) -> list[tuple[float, int]]:
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
        most_factor = 1.05 ** sum(1 for name in _ATTRIBUTES if getattr(line.attrs, name))
        floor = MIN_SCORE / 100 - _SLACK
        factors = self._factors(line.attrs)
        spelled = self._spelled_alike(line.compact, factors, floor)
        words = self._search_words(line)
        listed, known, unknown = self._listed(words, floor / most_factor)
        has: dict[int, int] = dict.fromkeys(spelled, 0)
        bits = {catalog_word: 1 << bit for bit, catalog_word in enumerate(listed)}
        # The commonest listed word's items are not listed one by one: those that have
        # another listed word get its bit, the rest are read by kind of attributes below.
        listed.sort(key=lambda w: len(self._postings[w]))
        common = listed.pop() if listed and len(self._postings[listed[-1]]) > _COMMON else None
        for catalog_word in listed:
            bit = bits[catalog_word]
            for position in self._postings[catalog_word]:
                has[position] = has.get(position, 0) | bit
        if common is not None:
            common_set, common_by_kind = self._common(common)
            for position in has:
                if position in common_set:
                    has[position] |= bits[common]
        groups: dict[int, list[int]] = {}
        for position, mask in has.items():
            groups.setdefault(mask, []).append(position)
        open_most = sum(words[i].most for i in unknown)
        open_least = sum(words[i].least for i in unknown)
        cover_floor, kinds = self._cover_floor, self._attribute_kind
        bounds: list[tuple[float, int]] = []
        for mask, members in groups.items():
            line_cover, matched = _known_cover(
                words, known, bits, mask, open_most=open_most, open_least=open_least
            )
            words_part = 0.6 * line_cover
            sharing = matched > 0
            # The most any member's words can score, so the least factor it needs.
            best_words = words_part + 0.4 * min(1.0, matched / self._least_cover_floor)
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
            best_words = words_part + 0.4 * min(1.0, matched / self._least_cover_floor)
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
            found = self._score(self._items[position], line)
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
        key = tuple(frozenset(getattr(attrs, name)) for name in _ATTRIBUTES)
        factors = self._kind_factors.get(key)
        if factors is None:
            factors = [_factor(kind, attrs) for kind in self._attribute_kinds]
            if len(self._kind_factors) < _KEPT_FACTORS:
                self._kind_factors[key] = factors
        return factors

    def _spelled_alike(self, compact: str, factors: list[float], floor: float) -> dict[int, float]:
        """The items whose SKU is spelled like ``compact`` (:data:`SPELLED_ALIKE` or more),
        with how alike (0-1), among those whose attributes' factor reaches ``floor`` (the
        others cannot: neither words nor spelling score more than 1)."""
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
            lengths = self._kind_lengths[kind]
            low, high = bisect_left(lengths, shortest), bisect_left(lengths, longest + 1)
            if low < high:
                starts.append(len(compacts))
                runs.append((self._kind_positions[kind], low))
                compacts.extend(self._kind_compacts[kind][low:high])
        found: dict[int, float] = {}
        for _, score, index in process.extract(
            compact, compacts, scorer=fuzz.ratio, limit=None, score_cutoff=cutoff
        ):
            # _score's own test, so no item it counts as spelled alike is missed.
            if score / 100 * 100 >= SPELLED_ALIKE:
                run = bisect_right(starts, int(index)) - 1
                positions, low = runs[run]
                found[positions[low + int(index) - starts[run]]] = score / 100
        return found

    def _common(self, word: str) -> tuple[frozenset[int], dict[int, list[int]]]:
        """The items having this (common) catalog word, as a set and by kind of
        attributes; kept, as a report's lines share their common words."""
        found = self._commons.get(word)
        if found is None:
            by_kind: dict[int, list[int]] = {}
            for position in self._postings[word]:
                by_kind.setdefault(self._attribute_kind[position], []).append(position)
            found = self._commons[word] = (frozenset(self._postings[word]), by_kind)
        return found

    def _search_words(self, line: _Line) -> list[_Word]:
        words: list[_Word] = []
        for word in line.heads:
            unmatched = line.unmatched[word]
            expansions = [
                (other, alike, self._weight(other))
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
        listed: dict[str, None] = {}
        known = [i for i, word in enumerate(words) if not word.expansions]
        unknown = [i for i, word in enumerate(words) if word.expansions]
        while unknown:
            absent = sum(words[i].unmatched for i in known)
            most = sum(words[i].most for i in unknown)
            least = sum(words[i].least for i in unknown)
            line_cover = min(1.0, most / (absent + least)) if absent + least else 1.0
            item_cover = min(1.0, most / self._least_cover_floor)
            if 0.6 * line_cover + 0.4 * item_cover < floor:
                break

            def cost(index: int) -> int:
                return sum(
                    len(self._postings[other])
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

    def _score(self, item: _Item, line: _Line) -> float | None:
        """The item's score for the line, ``None`` when it shares no word with it and is
        not spelled alike."""
        scored = self._words_and_spelling(item, line)
        if scored is None:
            return None
        return scored[0] * _factor(item.attrs, line.attrs) * 100

    def _words_and_spelling(
        self, item: _Item, line: _Line
    ) -> tuple[float, float, float, list[str]] | None:
        """(the better of the words score and the spelling, the words score, the
        spelling, the line's matched words)."""
        expansions, compact, weights = line.expansions, line.compact, self._weights
        item_heads = item.heads
        # Words: each line word's best match among the item's words, weighted by rarity
        # (a word no item word matches weighs line.unmatched).
        matched: list[str] = []
        item_hit: dict[str, float] = {}
        covered = total = 0.0
        for word in line.heads:
            best_word, best = "", 0.0
            for other, similarity in expansions[word].items():
                if other in item_heads and similarity > best:
                    best_word, best = other, similarity
            if best_word:
                weight = weights[best_word]
                total += weight
                covered += weight * best
                matched.append(word)
                item_hit[best_word] = max(item_hit.get(best_word, 0.0), best)
            else:
                total += line.unmatched[word]
        line_cover = covered / total if total else 0.0
        item_cover = max(
            _cover(item.sku_words.heads, item.sku_weights, item.sku_total, item_hit),
            _cover(item.title_words.heads, item.title_weights, item.title_total, item_hit),
        )
        words_score = 0.6 * line_cover + 0.4 * item_cover
        spelled = fuzz.ratio(compact, item.compact) / 100 if compact and item.compact else 0.0
        if not matched and spelled * 100 < SPELLED_ALIKE:
            return None
        best_of = max(words_score, spelled if spelled * 100 >= SPELLED_ALIKE else 0.0)
        return best_of, words_score, spelled, matched

    def _reason(self, item: _Item, line: _Line) -> str:
        """Why the item is suggested: what matched, and each attribute it shares or not."""
        scored = self._words_and_spelling(item, line)
        assert scored is not None  # only suggested items are explained
        _, words_score, spelled, matched = scored
        if spelled * 100 >= SPELLED_ALIKE and spelled >= words_score:
            reason = f"SKU spelled alike ({spelled * 100:.0f}%)"
        else:
            reason = f"product words match: {', '.join(matched)}" if matched else "few words match"
        return "; ".join([reason, *_notes(item.attrs, line.attrs)])


def _cover(words: list[str], weights: list[float], total: float, hit: dict[str, float]) -> float:
    """How much of these words (weighted) the line's words hit."""
    if not total:
        return 0.0
    return sum(weight * hit.get(w, 0.0) for w, weight in zip(words, weights, strict=True)) / total


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


# (attribute, its label in a reason, the factor when the line and the item differ in it)
_ATTRIBUTE_PENALTIES = (
    ("sizes", "size", 0.6),
    ("colours", "colour", 0.6),
    ("measures", "measure", 0.7),
    ("packs", "pack", 0.75),
)


def _factor(item: Words, line: Words) -> float:
    """Attributes: the same variant confirms, another variant is the wrong item."""
    factor = 1.0
    for name, _, penalty in _ATTRIBUTE_PENALTIES:
        mine, theirs = getattr(line, name), getattr(item, name)
        if mine and theirs:
            factor *= 1.05 if mine & theirs else penalty
        elif theirs and not mine:
            factor *= 0.95
        elif mine and not theirs and name == "packs":
            factor *= 0.97
    return factor


def _notes(item: Words, line: Words) -> list[str]:
    """What :func:`_factor` found, as a reason says it."""
    notes: list[str] = []
    for name, label, _ in _ATTRIBUTE_PENALTIES:
        mine, theirs = getattr(line, name), getattr(item, name)
        if mine and theirs:
            if mine & theirs:
                notes.append(f"same {label} {'/'.join(sorted(mine & theirs)).upper()}")
            else:
                notes.append(
                    f"{label} differs ({'/'.join(sorted(theirs)).upper()} "
                    f"vs {'/'.join(sorted(mine)).upper()})"
                )
        elif mine and not theirs and name == "packs":
            pack = max(mine, key=int)
            notes.append(f"a {pack}-pack of it: map with quantity {pack}")
    return notes


def _accounted(item: _Item, line: _Line) -> bool:
    """Whether the line accounts for everything the item's own SKU says: each of its
    product words matched, and each colour, size, pack and measure it names confirmed (not
    merely absent from the line). Only then is a suggestion strong: "TEE-ORGANIC-L" may
    well be "TEE-BLUE-L", but nothing in the line says blue."""
    if line.compact and item.compact and fuzz.ratio(line.compact, item.compact) >= 90:
        return True
    matched = {other for word in line.heads for other in line.expansions[word]}
    if any(word not in matched for word in item.sku_words.heads):
        return False
    return all(
        getattr(item.sku_words, name) <= getattr(line.attrs, name)
        for name in ("colours", "sizes", "packs", "measures")
    )

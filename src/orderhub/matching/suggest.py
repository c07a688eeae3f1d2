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

``bench/bench_suggest.py`` measures this against a labelled evaluation set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from orderhub.matching.normalise import normalise_sku

#: Below this score a catalog item is no suggestion at all.
MIN_SCORE = 55.0
#: From this score, and :data:`STRONG_MARGIN` ahead of the next one, a suggestion is strong.
STRONG_SCORE = 80.0
STRONG_MARGIN = 5.0
#: Two words this alike (rapidfuzz ``ratio``) count as one misspelt word.
WORD_SIMILAR = 80.0
#: Two SKUs spelled this alike as one string (separators ignored) count as the same.
SPELLED_ALIKE = 85.0
#: At most this many candidates are scored per line (the rarest shared words first).
CANDIDATES = 1_500

# Words that mark a marketplace's copy of a SKU rather than the product.
_DECORATIONS = frozenset(
    [
        "amz",
        "amzn",
        "fba",
        "fbm",
        "mfn",
        "ebay",
        "eb",
        "wc",
        "woo",
        "shop",
        "etsy",
        "new",
        "uk",
        "de",
        "fr",
        "it",
        "es",
        "us",
    ]
)
_COLOURS = {
    "black": "black", "blk": "black", "bk": "black",
    "white": "white", "wht": "white", "wh": "white",
    "blue": "blue", "blu": "blue", "bl": "blue",
    "navy": "navy", "nvy": "navy",
    "grey": "grey", "gray": "grey", "gry": "grey", "gy": "grey",
    "red": "red", "rd": "red",
    "green": "green", "grn": "green", "gn": "green",
    "pink": "pink", "pnk": "pink",
    "purple": "purple", "pur": "purple", "prp": "purple",
    "yellow": "yellow", "yel": "yellow", "ylw": "yellow",
    "orange": "orange", "org": "orange", "orn": "orange",
    "brown": "brown", "brn": "brown",
    "olive": "olive", "olv": "olive",
    "sand": "sand", "snd": "sand",
    "natural": "natural", "nat": "natural",
    "clear": "clear", "clr": "clear",
    "silver": "silver", "slv": "silver",
    "gold": "gold", "gld": "gold",
    "beige": "beige", "cream": "cream", "teal": "teal", "sage": "sage",
}  # fmt: skip
_SIZES = {
    "xs": "xs", "xsmall": "xs",
    "s": "s", "sm": "s", "small": "s",
    "m": "m", "md": "m", "med": "m", "medium": "m",
    "l": "l", "lg": "l", "lrg": "l", "large": "l",
    "xl": "xl", "xlarge": "xl",
    "xxl": "xxl", "2xl": "xxl", "xxlarge": "xxl",
    "xxxl": "xxxl", "3xl": "xxxl",
}  # fmt: skip
# Two-word sizes, read before the words are split.
_SIZE_PHRASES = (
    (re.compile(r"\bextra\s+small\b"), "xs"),
    (re.compile(r"\bextra\s+large\b"), "xl"),
    (re.compile(r"\bxx\s+large\b"), "xxl"),
)
_PACK_PHRASES = (
    re.compile(r"\bpack\s+of\s+(\d{1,3})\b"),
    re.compile(r"\bset\s+of\s+(\d{1,3})\b"),
    re.compile(r"\b(\d{1,3})\s+(?:pack|pk|pcs|pieces|pairs|count|ct)\b"),
)
_PACK_WORD = re.compile(r"^(?:(\d{1,3})(?:pk|pack|pcs|ct|er)|(?:pk|pack|x)(\d{1,3})|(\d{1,3})x)$")
_MEASURE = re.compile(r"^\d+(?:[.,]\d+)?(?:mm|cm|m|km|g|kg|oz|lb|ml|l|in|ft|w|v|mah|gb|tb)$")
_NUMBER = re.compile(r"^\d+$")
# Words that say nothing about which product it is.
_FILLER = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "with",
        "to",
        "in",
        "on",
        "by",
        "x",
        "size",
        "colour",
        "color",
        "pack",
        "set",
        "pcs",
        "piece",
        "pieces",
    ]
)


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
class _Words:
    """A text read as words: product words (``heads``) and attributes."""

    heads: list[str] = field(default_factory=list)
    colours: set[str] = field(default_factory=set)
    sizes: set[str] = field(default_factory=set)
    packs: set[str] = field(default_factory=set)
    measures: set[str] = field(default_factory=set)


def _read(text: str | None, *, sku: bool) -> _Words:
    words = _Words()
    if not text:
        return words
    key = normalise_sku(text)
    for pattern, size in _SIZE_PHRASES:
        if pattern.search(key):
            words.sizes.add(size)
            key = pattern.sub(" ", key)
    for pattern in _PACK_PHRASES:
        for match in pattern.finditer(key):
            words.packs.add(str(int(match.group(1))))
        key = pattern.sub(" ", key)
    tokens = key.replace(",", " ").replace("(", " ").replace(")", " ").replace("|", " ").split()
    for position, raw_token in enumerate(tokens):
        token = raw_token.strip("%'\"+&")
        if not token or token in _FILLER:
            continue
        if sku and token in _DECORATIONS and len(tokens) > 1:
            continue
        # In a SKU "org" is organic far more often than orange.
        if token in _COLOURS and not (sku and token == "org"):  # noqa: S105
            words.colours.add(_COLOURS[token])
            continue
        # A one-letter size word after a number is a unit ("20 l"), not a size.
        after_number = position > 0 and tokens[position - 1].isdigit()
        if token in _SIZES and (sku or len(token) > 1 or not after_number):
            words.sizes.add(_SIZES[token])
            continue
        pack = _PACK_WORD.match(token)
        if pack:
            words.packs.add(str(int(next(g for g in pack.groups() if g))))
            continue
        if _MEASURE.match(token):
            words.measures.add(token.replace(",", "."))
            continue
        words.heads.append(token)
    if sku and not words.heads and tokens:
        # A SKU of attributes only ("BLK-L") still names something: keep its words.
        words.heads = [t for t in tokens if t not in _DECORATIONS] or tokens
    return words


def _compact(sku: str) -> str:
    """The SKU as one string without separators or marketplace decorations."""
    words = normalise_sku(sku).split()
    kept = [w for w in words if w not in _DECORATIONS] or words
    return "".join(kept)


@dataclass
class _Item:
    sku: str
    title: str | None
    sku_words: _Words
    title_words: _Words
    heads: frozenset[str]
    compact: str


class Suggester:
    """Built once from the catalog's (sku, title) pairs, then asked per unresolved SKU."""

    def __init__(self, items: Iterable[tuple[str, str | None]]) -> None:
        self._items: list[_Item] = []
        self._postings: dict[str, list[int]] = {}
        for position, (sku, title) in enumerate(items):
            sku_words = _read(sku, sku=True)
            title_words = _read(title, sku=False)
            heads = frozenset(sku_words.heads) | frozenset(title_words.heads)
            self._items.append(_Item(sku, title, sku_words, title_words, heads, _compact(sku)))
            for word in heads:
                self._postings.setdefault(word, []).append(position)
        self._vocabulary = list(self._postings)
        self._compacts = [item.compact for item in self._items]
        self.skus = [item.sku for item in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def _weight(self, word: str) -> float:
        """How much a catalog word says: rare words (a model number) weigh most."""
        count = len(self._postings.get(word, ()))
        return math.log(1 + len(self._items) / max(1, count))

    def _expand(self, word: str) -> dict[str, float]:
        """The catalog words a line's word stands for, with how alike (0-1)."""
        found: dict[str, float] = {}
        if word in self._postings:
            found[word] = 1.0
        if len(word) >= 4 and not word.isdigit():
            for other, score, _ in process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, limit=5, score_cutoff=WORD_SIMILAR
            ):
                found.setdefault(other, score / 100)
        if len(word) >= 3 and not word.isdigit():
            for other in self._vocabulary:
                # An abbreviation: one is the start of the other ("org"/"organic").
                if (
                    other != word
                    and len(other) >= 3
                    and (other.startswith(word) or word.startswith(other))
                ):
                    found.setdefault(other, 0.85)
        return found

    def suggest(
        self, sku: str | None, title: str | None = None, *, limit: int = 3
    ) -> list[Suggestion]:
        """The ``limit`` best catalog items for a line with this SKU and title, best first
        (ties by SKU); items under :data:`MIN_SCORE` or sharing no product word with the
        line are left out."""
        if not self._items or not ((sku and sku.strip()) or (title and title.strip())):
            return []
        line_sku = _read(sku, sku=True)
        line_title = _read(title, sku=False)
        heads = list(dict.fromkeys(line_sku.heads + line_title.heads))
        expansions = {word: self._expand(word) for word in heads}
        compact = _compact(sku) if sku else ""
        candidates = self._candidates(expansions, compact)
        raw: list[tuple[float, _Item, str]] = []
        for position in candidates:
            item = self._items[position]
            result = self._score(
                item,
                heads=heads,
                expansions=expansions,
                line_sku=line_sku,
                line_title=line_title,
                compact=compact,
            )
            if result is not None and result[0] >= MIN_SCORE:
                raw.append((result[0], item, result[1]))
        # Sorted on the uncapped score, so an exact variant beats a near one even when
        # both show as 100.
        raw.sort(key=lambda r: (-r[0], r[1].sku))
        scored = [
            Suggestion(item.sku, item.title, round(min(100.0, value), 1), reason)
            for value, item, reason in raw
        ]
        best = scored[:limit]
        if best and best[0].score >= STRONG_SCORE:
            runner_up = raw[1][0] if len(raw) > 1 else 0.0
            if raw[0][0] - runner_up >= STRONG_MARGIN and _accounted(
                raw[0][1],
                line_sku=line_sku,
                line_title=line_title,
                heads=heads,
                expansions=expansions,
                compact=compact,
            ):
                first = best[0]
                best[0] = Suggestion(first.sku, first.title, first.score, first.reason, True)
        return best

    def _candidates(self, expansions: dict[str, dict[str, float]], compact: str) -> list[int]:
        """The items sharing a (possibly misspelt) word with the line, rarest words first,
        and the items whose SKU is spelled most like the line's."""
        found: dict[int, None] = {}
        words = {other for similar in expansions.values() for other in similar}
        for word in sorted(words, key=lambda w: len(self._postings[w])):
            for position in self._postings[word]:
                found[position] = None
            if len(found) >= CANDIDATES:
                break
        if compact:
            for _, _, position in process.extract(
                compact, self._compacts, scorer=fuzz.ratio, limit=10, score_cutoff=SPELLED_ALIKE
            ):
                found[int(position)] = None
        return list(found)

    def _score(
        self,
        item: _Item,
        *,
        heads: list[str],
        expansions: dict[str, dict[str, float]],
        line_sku: _Words,
        line_title: _Words,
        compact: str,
    ) -> tuple[float, str] | None:
        # Words: each line word's best match among the item's words, weighted by rarity.
        matched: list[str] = []
        item_hit: dict[str, float] = {}
        covered = total = 0.0
        for word in heads:
            best_word, best = "", 0.0
            for other, similarity in expansions[word].items():
                if other in item.heads and similarity > best:
                    best_word, best = other, similarity
            weight = self._weight(best_word) if best_word else self._weight(word)
            # A listing number or a word the catalog never uses says little either way.
            if not best_word and (any(c.isdigit() for c in word) or word not in self._postings):
                weight *= 0.35
            total += weight
            if best_word:
                covered += weight * best
                matched.append(word)
                item_hit[best_word] = max(item_hit.get(best_word, 0.0), best)
        line_cover = covered / total if total else 0.0
        item_cover = max(
            self._cover(item.sku_words.heads, item_hit),
            self._cover(item.title_words.heads, item_hit),
        )
        words_score = 0.6 * line_cover + 0.4 * item_cover
        spelled = fuzz.ratio(compact, item.compact) / 100 if compact and item.compact else 0.0
        if not matched and spelled * 100 < SPELLED_ALIKE:
            return None
        score = max(words_score, spelled if spelled * 100 >= SPELLED_ALIKE else 0.0)
        # Attributes: the same variant confirms, another variant is the wrong item.
        notes: list[str] = []
        factor = 1.0
        item_attrs = _merge(item.sku_words, item.title_words)
        line_attrs = _merge(line_sku, line_title)
        for name, label, penalty in (
            ("sizes", "size", 0.6),
            ("colours", "colour", 0.6),
            ("measures", "measure", 0.7),
            ("packs", "pack", 0.75),
        ):
            mine, theirs = getattr(line_attrs, name), getattr(item_attrs, name)
            if mine and theirs:
                if mine & theirs:
                    factor *= 1.05
                    notes.append(f"same {label} {'/'.join(sorted(mine & theirs)).upper()}")
                else:
                    factor *= penalty
                    notes.append(
                        f"{label} differs ({'/'.join(sorted(theirs)).upper()} "
                        f"vs {'/'.join(sorted(mine)).upper()})"
                    )
            elif theirs and not mine:
                factor *= 0.95
            elif mine and not theirs and name == "packs":
                factor *= 0.97
                pack = max(mine, key=int)
                notes.append(f"a {pack}-pack of it: map with quantity {pack}")
        score = score * factor * 100
        if spelled * 100 >= SPELLED_ALIKE and spelled >= words_score:
            reason = f"SKU spelled alike ({spelled * 100:.0f}%)"
        else:
            reason = f"product words match: {', '.join(matched)}" if matched else "few words match"
        return score, "; ".join([reason, *notes])

    def _cover(self, words: list[str], hit: dict[str, float]) -> float:
        total = sum(self._weight(w) for w in words)
        if not total:
            return 0.0
        return sum(self._weight(w) * hit.get(w, 0.0) for w in words) / total


def _merge(first: _Words, second: _Words) -> _Words:
    return _Words(
        [],
        first.colours | second.colours,
        first.sizes | second.sizes,
        first.packs | second.packs,
        first.measures | second.measures,
    )


def _accounted(
    item: _Item,
    *,
    line_sku: _Words,
    line_title: _Words,
    heads: list[str],
    expansions: dict[str, dict[str, float]],
    compact: str,
) -> bool:
    """Whether the line accounts for everything the item's own SKU says: each of its
    product words matched, and each colour, size, pack and measure it names confirmed (not
    merely absent from the line). Only then is a suggestion strong: "TEE-ORGANIC-L" may
    well be "TEE-BLUE-L", but nothing in the line says blue."""
    if compact and item.compact and fuzz.ratio(compact, item.compact) >= 90:
        return True
    matched = {other for word in heads for other in expansions[word]}
    if any(word not in matched for word in item.sku_words.heads):
        return False
    line = _merge(line_sku, line_title)
    return all(
        getattr(item.sku_words, name) <= getattr(line, name)
        for name in ("colours", "sizes", "packs", "measures")
    )

"""Scoring one catalog item for one unresolved line, and saying why.

The score (0-100, before the cap at 100 a suggestion shows) is the better of the words
score and the spelling of the SKU as one string, times the attributes' factor; see
:mod:`orderhub.matching.suggest` for what each part means. Everything here is about one
item and one line; which items are worth scoring is :mod:`.suggest_search`'s job, and
that search's bounds follow the arithmetic here, so a change to one is a change to both
(``tests/matching/test_suggest_search.py`` compares them).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from orderhub.matching.suggest_catalog import Catalog, Item
from orderhub.matching.suggest_text import Words, compact_sku, merge_words, read_words

#: Below this score a catalog item is no suggestion at all.
MIN_SCORE = 55.0
#: Two SKUs spelled this alike as one string (separators ignored) count as the same.
SPELLED_ALIKE = 85.0

ATTRIBUTES = ("sizes", "colours", "measures", "packs")

# (attribute, its label in a reason, the factor when the line and the item differ in it)
_ATTRIBUTE_PENALTIES = (
    ("sizes", "size", 0.6),
    ("colours", "colour", 0.6),
    ("measures", "measure", 0.7),
    ("packs", "pack", 0.75),
)


@dataclass
class Line:
    """An unresolved line as the scorer reads it."""

    sku_words: Words
    title_words: Words
    attrs: Words
    heads: list[str]
    expansions: dict[str, dict[str, float]]
    compact: str
    # Each head word's weight when no word of an item matches it.
    unmatched: dict[str, float]


def read_line(catalog: Catalog, sku: str | None, title: str | None) -> Line | None:
    """The line as the scorer reads it against this catalog; ``None`` when there is
    nothing to suggest from (an empty catalog, or neither a SKU nor a title)."""
    if not catalog.items or not ((sku and sku.strip()) or (title and title.strip())):
        return None
    line_sku = read_words(sku, sku=True)
    line_title = read_words(title, sku=False)
    heads = list(dict.fromkeys(line_sku.heads + line_title.heads))
    unmatched = {}
    for word in heads:
        weight = catalog.weight(word)
        # A listing number or a word the catalog never uses says little either way.
        if any(c.isdigit() for c in word) or word not in catalog.postings:
            weight *= 0.35
        unmatched[word] = weight
    return Line(
        line_sku,
        line_title,
        merge_words(line_sku, line_title),
        heads,
        {word: catalog.expand(word) for word in heads},
        compact_sku(sku) if sku else "",
        unmatched,
    )


def score_item(catalog: Catalog, item: Item, line: Line) -> float | None:
    """The item's score for the line, ``None`` when it shares no word with it and is
    not spelled alike."""
    scored = words_and_spelling(catalog, item, line)
    if scored is None:
        return None
    return scored[0] * attribute_factor(item.attrs, line.attrs) * 100


def words_and_spelling(
    catalog: Catalog, item: Item, line: Line
) -> tuple[float, float, float, list[str]] | None:
    """(the better of the words score and the spelling, the words score, the
    spelling, the line's matched words)."""
    expansions, compact, weights = line.expansions, line.compact, catalog.weights
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
        _cover(item.sku_heads, weights, item.sku_total, item_hit),
        _cover(item.title_heads, weights, item.title_total, item_hit),
    )
    words_score = 0.6 * line_cover + 0.4 * item_cover
    spelled = fuzz.ratio(compact, item.compact) / 100 if compact and item.compact else 0.0
    if not matched and spelled * 100 < SPELLED_ALIKE:
        return None
    best_of = max(words_score, spelled if spelled * 100 >= SPELLED_ALIKE else 0.0)
    return best_of, words_score, spelled, matched


def reason(catalog: Catalog, item: Item, line: Line) -> str:
    """Why the item is suggested: what matched, and each attribute it shares or not."""
    scored = words_and_spelling(catalog, item, line)
    assert scored is not None  # only suggested items are explained
    _, words_score, spelled, matched = scored
    if spelled * 100 >= SPELLED_ALIKE and spelled >= words_score:
        said = f"SKU spelled alike ({spelled * 100:.0f}%)"
    else:
        said = f"product words match: {', '.join(matched)}" if matched else "few words match"
    return "; ".join([said, *_notes(item.attrs, line.attrs)])


def attribute_factor(item: Words, line: Words) -> float:
    """Attributes: the same variant confirms, another variant is the wrong item."""
    found = 1.0
    for name, _, penalty in _ATTRIBUTE_PENALTIES:
        mine, theirs = getattr(line, name), getattr(item, name)
        if mine and theirs:
            found *= 1.05 if mine & theirs else penalty
        elif theirs and not mine:
            found *= 0.95
        elif mine and not theirs and name == "packs":
            found *= 0.97
    return found


def accounted(item: Item, line: Line) -> bool:
    """Whether the line accounts for everything the item's own SKU says: each of its
    product words matched, and each colour, size, pack and measure it names confirmed (not
    merely absent from the line). Only then is a suggestion strong: "TEE-ORGANIC-L" may
    well be "TEE-BLUE-L", but nothing in the line says blue."""
    if line.compact and item.compact and fuzz.ratio(line.compact, item.compact) >= 90:
        return True
    matched = {other for word in line.heads for other in line.expansions[word]}
    if any(word not in matched for word in item.sku_heads):
        return False
    return all(
        getattr(item.sku_attrs, name) <= getattr(line.attrs, name)
        for name in ("colours", "sizes", "packs", "measures")
    )


def _cover(
    words: list[str], weights: dict[str, float], total: float, hit: dict[str, float]
) -> float:
    """How much of these words (weighted) the line's words hit."""
    if not total:
        return 0.0
    return sum(weights[w] * hit.get(w, 0.0) for w in words) / total


def _notes(item: Words, line: Words) -> list[str]:
    """What :func:`attribute_factor` found, as a reason says it."""
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

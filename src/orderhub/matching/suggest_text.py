"""How a suggestion reads a SKU or a title: its product words and its attributes (colours,
sizes, pack counts, measures), and a SKU spelled as one string. Used by
:mod:`orderhub.matching.suggest`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orderhub.matching.normalise import normalise_sku

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
# What a text must have for any of _PACK_PHRASES to match.
_PACK_HINT = re.compile(r"\b(?:pack|set)\s+of\b|\d\s+(?:pack|pk|pcs|pieces|pairs|count|ct)\b")


# A whole catalog is read for suggestions, and most of its texts have no size or pack
# phrase: a cheap test spares the six pattern searches.
def may_have_size_phrase(key: str) -> bool:
    """False when none of _SIZE_PHRASES can match this normalised text."""
    return "extra" in key or "xx" in key


def may_have_pack_phrase(key: str) -> bool:
    """False when none of _PACK_PHRASES can match this normalised text."""
    return _PACK_HINT.search(key) is not None


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


@dataclass
class Words:
    """A text read as words: product words (``heads``) and attributes."""

    heads: list[str] = field(default_factory=list)
    colours: set[str] = field(default_factory=set)
    sizes: set[str] = field(default_factory=set)
    packs: set[str] = field(default_factory=set)
    measures: set[str] = field(default_factory=set)


# What a token is, as _read_token says it: nothing, a product word, or an attribute.
_READ_NOTHING, _READ_HEAD, _READ_COLOUR, _READ_SIZE, _READ_PACK, _READ_MEASURE = range(6)
_Read = tuple[int, str]
#: How a catalog build remembers its tokens between calls of :func:`read_words`.
TokenMemo = dict[str, _Read]


def read_words(
    text: str | None, *, sku: bool, key: str | None = None, memo: TokenMemo | None = None
) -> Words:
    """The text's product words and attributes; ``key`` is its ``normalise_sku`` when
    the caller has it already. ``memo`` remembers how each token was read, for a caller
    reading many texts (a catalog repeats its words); one memo serves only calls with the
    same ``sku``, as a token can read differently in a SKU and in a title."""
    words = Words()
    if not text:
        return words
    if key is None:
        key = normalise_sku(text)
    if may_have_size_phrase(key):
        for pattern, size in _SIZE_PHRASES:
            if pattern.search(key):
                words.sizes.add(size)
                key = pattern.sub(" ", key)
    if may_have_pack_phrase(key):
        for pattern in _PACK_PHRASES:
            for match in pattern.finditer(key):
                words.packs.add(str(int(match.group(1))))
            key = pattern.sub(" ", key)
    tokens = key.replace(",", " ").replace("(", " ").replace(")", " ").replace("|", " ").split()
    for position, raw_token in enumerate(tokens):
        read = memo.get(raw_token) if memo is not None else None
        if read is None:
            read, context_free = _read_token(raw_token, tokens, position, sku=sku)
            if context_free and memo is not None:
                memo[raw_token] = read
        what, value = read
        if what == _READ_HEAD:
            words.heads.append(value)
        elif what == _READ_COLOUR:
            words.colours.add(value)
        elif what == _READ_SIZE:
            words.sizes.add(value)
        elif what == _READ_PACK:
            words.packs.add(value)
        elif what == _READ_MEASURE:
            words.measures.add(value)
    if sku and not words.heads and tokens:
        # A SKU of attributes only ("BLK-L") still names something: keep its words.
        words.heads = [t for t in tokens if t not in _DECORATIONS] or tokens
    return words


def _read_token(
    raw_token: str, tokens: list[str], position: int, *, sku: bool
) -> tuple[_Read, bool]:
    """What the token at ``position`` of ``tokens`` is, and whether that follows from
    the token alone (so a memo may keep it): a decoration is one only beside other
    words, and a one-letter size in a title only when no number comes before it."""
    token = raw_token.strip("%'\"+&")
    if not token or token in _FILLER:
        return (_READ_NOTHING, ""), True
    decoration = sku and token in _DECORATIONS
    if decoration and len(tokens) > 1:
        return (_READ_NOTHING, ""), False
    # In a SKU "org" is organic far more often than orange.
    if token in _COLOURS and not (sku and token == "org"):  # noqa: S105
        return (_READ_COLOUR, _COLOURS[token]), not decoration
    if token in _SIZES:
        if sku or len(token) > 1:
            return (_READ_SIZE, _SIZES[token]), not decoration
        # A one-letter size word after a number is a unit ("20 l"), not a size.
        if not (position > 0 and tokens[position - 1].isdigit()):
            return (_READ_SIZE, _SIZES[token]), False
        context_free = False
    else:
        context_free = not decoration
    if token.isalpha():
        # Neither a pack word nor a measure: both have a number.
        return (_READ_HEAD, token), context_free
    pack = _PACK_WORD.match(token)
    if pack:
        return (_READ_PACK, str(int(next(g for g in pack.groups() if g)))), context_free
    if _MEASURE.match(token):
        return (_READ_MEASURE, token.replace(",", ".")), context_free
    return (_READ_HEAD, token), context_free


def compact_sku(sku: str, key: str | None = None) -> str:
    """The SKU as one string without separators or marketplace decorations; ``key`` is
    its ``normalise_sku`` when the caller has it already."""
    words = (normalise_sku(sku) if key is None else key).split()
    kept = [w for w in words if w not in _DECORATIONS] or words
    return "".join(kept)


def merge_words(first: Words, second: Words) -> Words:
    return Words(
        [],
        first.colours | second.colours,
        first.sizes | second.sizes,
        first.packs | second.packs,
        first.measures | second.measures,
    )

"""How SKUs and identifiers are compared: the normalised form of a SKU, the strip rules,
GTIN and ASIN checks, and the identifier kinds a line's channel ids are looked up as.

The normalised form of a SKU ignores what sellers and channels vary without meaning to:
letter case, Unicode compatibility forms (full-width letters), leading and trailing
space, and the separators ``-``, ``_``, ``.``, ``/`` and spaces, which all count as one
separator (``Blue_Tee / M`` and ``BLUE-TEE-M`` are both ``blue tee m``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from orderhub.matching.settings import MatchingConfig

_SEPARATORS = re.compile(r"[\s\-_./]+")
_GTIN_SEPARATORS = re.compile(r"[\s\-]")

#: Identifier kinds of the catalog (``catalog_identifiers.kind``).
ASIN = "asin"
GTIN = "gtin"
EBAY_ITEM = "ebay_item"
EBAY_VARIATION = "ebay_variation"
WOO_PRODUCT = "woo_product"
WOO_VARIATION = "woo_variation"
SHOPIFY_PRODUCT = "shopify_product"
SHOPIFY_VARIATION = "shopify_variation"
IDENTIFIER_KINDS = (
    ASIN,
    GTIN,
    EBAY_ITEM,
    EBAY_VARIATION,
    WOO_PRODUCT,
    WOO_VARIATION,
    SHOPIFY_PRODUCT,
    SHOPIFY_VARIATION,
)
#: Kinds whose values are only unique within one account (a shop's own product ids).
ACCOUNT_LOCAL_KINDS = frozenset({WOO_PRODUCT, WOO_VARIATION, SHOPIFY_PRODUCT, SHOPIFY_VARIATION})

# A channel's product and variation ids are looked up as "<prefix>_product" and
# "<prefix>_variation"; the prefix is the channel's name unless listed here.
_CHANNEL_PREFIX = {"woocommerce": "woo"}


def _fold(value: str) -> str:
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return value.casefold()


def normalise_sku(value: str) -> str:
    """The normalised form of a SKU: case-folded, trimmed, every run of separators
    (``-``, ``_``, ``.``, ``/``, whitespace) replaced by one space."""
    # _SEPARATORS.sub(" ", folded).strip() without the regular expression: the separators
    # other than whitespace become spaces, and str.split() splits on the same whitespace
    # as the pattern's \s (a property test holds the two together). About a third of the
    # regular expression's time per SKU (timeit); it runs for every line whose SKU the
    # resolver has not seen since its index was built.
    folded = _fold(value)
    spaced = folded.replace("-", " ").replace("_", " ").replace(".", " ").replace("/", " ")
    return " ".join(spaced.split())


def _rule_key(rule: str) -> str:
    # Not stripped: "AMZ-" must stay "amz " so it only matches a whole leading word.
    return _SEPARATORS.sub(" ", _fold(rule))


@dataclass(frozen=True)
class SkuRules:
    """The strip rules, normalised like SKUs and longest first (so ``-FBA-UK`` wins over
    ``-UK``). Build with :meth:`from_config`."""

    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: MatchingConfig | None) -> SkuRules:
        if config is None:
            return cls()
        prefixes = {_rule_key(rule).lstrip() for rule in config.strip_prefixes}
        suffixes = {_rule_key(rule).rstrip() for rule in config.strip_suffixes}
        return cls(
            prefixes=tuple(sorted((p for p in prefixes if p.strip()), key=lambda p: (-len(p), p))),
            suffixes=tuple(sorted((s for s in suffixes if s.strip()), key=lambda s: (-len(s), s))),
        )

    def candidates(self, key: str) -> Iterator[str]:
        """``key`` itself, then with the longest matching prefix removed, with the longest
        matching suffix removed, and with both removed (each at most once)."""
        yield key
        # One C-level test first: most SKUs carry no decoration.
        if not (key.startswith(self.prefixes) or key.endswith(self.suffixes)):
            return
        prefix = next((p for p in self.prefixes if key.startswith(p) and len(key) > len(p)), "")
        suffix = next((s for s in self.suffixes if key.endswith(s) and len(key) > len(s)), "")
        without_prefix = key[len(prefix) :].strip() if prefix else ""
        without_suffix = key[: len(key) - len(suffix)].strip() if suffix else ""
        if without_prefix:
            yield without_prefix
        if without_suffix:
            yield without_suffix
        if prefix and suffix and len(key) > len(prefix) + len(suffix):
            both = key[len(prefix) : len(key) - len(suffix)].strip()
            if both:
                yield both


def normalise_gtin(value: str) -> str | None:
    """A GTIN-8, UPC-A (12), EAN-13 or GTIN-14 as 14 digits (so the same product's UPC and
    EAN compare equal), or None when it is not one (wrong length or check digit)."""
    digits = _GTIN_SEPARATORS.sub("", value)
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    padded = digits.zfill(14)
    body, check = padded[:-1], int(padded[-1])
    # Weights 3, 1, 3, .. from the first of the 13 body digits.
    total = 3 * sum(map(int, body[::2])) + sum(map(int, body[1::2]))
    return padded if (10 - total % 10) % 10 == check else None


_ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")


def normalise_asin(value: str) -> str | None:
    """An ASIN in upper case, or None when it is not ten letters and digits."""
    text = value.strip().upper()
    return text if _ASIN_RE.match(text) else None


def ebay_variation_value(item_id: str, variation_id: str) -> str:
    """The catalog value of an eBay variation: ``<item id>:<variation id>`` (variation ids
    are only meaningful within their listing)."""
    return f"{item_id.strip()}:{variation_id.strip()}"


def channel_kinds(channel: str) -> tuple[str, str]:
    """The identifier kinds a line's ``product_id`` and ``variation_id`` are looked up as
    on ``channel`` (``woo_product``/``woo_variation`` for WooCommerce)."""
    prefix = _CHANNEL_PREFIX.get(channel, channel)
    return f"{prefix}_product", f"{prefix}_variation"


def line_identifier_keys(channel: str, identifiers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (kind, value) pairs to look up for a line's channel ids, most specific first:
    ASIN, the eBay variation (or item), the shop's variation (or product), then a GTIN.

    A line with a variation id never falls back to its parent's id: the parent of a
    variable product stands for several catalog items."""
    keys: list[tuple[str, str]] = []
    asin = identifiers.get("asin")
    if asin:
        keys.append((ASIN, asin.strip().upper()))
    item = identifiers.get("ebay_item_id") or identifiers.get("legacy_item_id")
    variation = identifiers.get("ebay_variation_id") or identifiers.get("legacy_variation_id")
    if item and variation:
        keys.append((EBAY_VARIATION, ebay_variation_value(item, variation)))
    elif item:
        keys.append((EBAY_ITEM, item.strip()))
    product_kind, variation_kind = channel_kinds(channel)
    product = identifiers.get("product_id")
    variant = identifiers.get("variation_id")
    if variant and variant.strip() not in ("", "0"):
        keys.append((variation_kind, variant.strip()))
    elif product and product.strip() not in ("", "0"):
        keys.append((product_kind, product.strip()))
    for name in ("gtin", "ean", "upc", "isbn"):
        code = identifiers.get(name)
        gtin = normalise_gtin(code) if code else None
        if gtin:
            keys.append((GTIN, gtin))
            break
    return keys

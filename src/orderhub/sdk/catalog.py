"""Building the :class:`~orderhub.sdk.connector.CatalogItem` records ``fetch_products``
yields, the same way for every channel: blank identifiers become None, titles are cleaned,
and a variant that only repeats its parent's SKU is not given that SKU.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orderhub.sdk.connector import CatalogItem
from orderhub.sdk.parsing import clean_text

__all__ = ["catalog_item", "variant_sku", "variant_title"]


def catalog_item(
    *,
    ref: str,
    identifiers: dict[str, str],
    sku: Any = None,
    title: Any = None,
    gtin: Any = None,
) -> CatalogItem:
    """A catalog record: ``sku``, ``title`` and ``gtin`` cleaned (surrounding white space
    removed, blank is None); ``ref`` names the item in messages ("product 120")."""
    return {
        "sku": clean_text(sku),
        "title": clean_text(title),
        "gtin": clean_text(gtin),
        "ref": ref,
        "identifiers": identifiers,
    }


def variant_sku(sku: Any, parent_sku: Any) -> str | None:
    """A variant's own SKU, or None when it has none: channels answer a variant without a
    SKU of its own with its parent's, and that SKU names the whole product, not the
    variant, so matching on it would send every variant's orders to one item."""
    own = clean_text(sku)
    return None if own is not None and own == clean_text(parent_sku) else own


def variant_title(title: str | None, parent_title: str | None, options: Iterable[Any]) -> str:
    """A variant's title: its own when it has one, else its parent's followed by its
    options (``"Blue T-Shirt - XL, Red"``), else the parent's alone."""
    if title:
        return title
    chosen = [text for text in map(clean_text, options) if text]
    base = parent_title or ""
    return f"{base} - {', '.join(chosen)}" if chosen else base

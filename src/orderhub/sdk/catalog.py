"""Building the :class:`~orderhub.sdk.connector.CatalogItem` records ``fetch_products``
yields, the same way for every channel: blank identifiers become None, titles are cleaned,
and a variant that only repeats its parent's SKU is not given that SKU.

Declare where the channel keeps the fields once, as a :class:`CatalogFields`, and build
each item with :meth:`CatalogFields.item` (a product sold as it is) or
:meth:`CatalogFields.variant` (one variant of a product with options).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from orderhub.sdk.connector import CatalogItem
from orderhub.sdk.fields import html_text
from orderhub.sdk.parsing import clean_text

__all__ = ["CatalogFields", "catalog_item", "variant_sku", "variant_title"]


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
    options (``"Blue T-Shirt - XL, Red"``), else the parent's alone (or the options alone
    when the parent has no title either)."""
    if title:
        return title
    chosen = ", ".join(text for text in map(clean_text, options) if text)
    if parent_title and chosen:
        return f"{parent_title} - {chosen}"
    return parent_title or chosen


@dataclass(frozen=True)
class CatalogFields:
    """Where a channel keeps a product's (or a variant's) SKU, title and GTIN.

    ``gtin`` None: the channel has no GTIN field. ``html_titles`` unescapes titles the
    channel keeps HTML-escaped (WordPress's ``"Salt &amp; Pepper"``).
    """

    sku: str = "sku"
    title: str = "name"
    gtin: str | None = None
    html_titles: bool = False

    def title_of(self, record: dict[str, Any]) -> str | None:
        """The record's title, cleaned (and unescaped with ``html_titles``)."""
        value = record.get(self.title)
        return html_text(value) if self.html_titles else clean_text(value)

    def item(self, record: dict[str, Any], *, ref: str, identifiers: dict[str, str]) -> CatalogItem:
        """The catalog item of a product sold as it is."""
        return catalog_item(
            ref=ref,
            identifiers=identifiers,
            sku=record.get(self.sku),
            title=self.title_of(record),
            gtin=record.get(self.gtin) if self.gtin else None,
        )

    def variant(
        self,
        parent: dict[str, Any],
        variant: dict[str, Any],
        *,
        ref: str,
        identifiers: dict[str, str],
        options: Iterable[Any] = (),
        parent_title: str | None = None,
    ) -> CatalogItem:
        """The catalog item of one variant of ``parent``: its own SKU only
        (:func:`variant_sku`), its own title or the parent's with ``options``
        (:func:`variant_title`; ``parent_title`` stands in for a parent without one)."""
        base = self.title_of(parent) or parent_title
        return catalog_item(
            ref=ref,
            identifiers=identifiers,
            sku=variant_sku(variant.get(self.sku), parent.get(self.sku)),
            title=variant_title(self.title_of(variant), base, options),
            gtin=variant.get(self.gtin) if self.gtin else None,
        )

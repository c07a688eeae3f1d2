"""How far a listing has got: the SDK's one channel from a connector's paging to a
progress display.

A connector never reports progress itself. :func:`~orderhub.sdk.windows.read_window` tells
its :class:`~orderhub.sdk.http.HttpClient` after every page how many records this listing
has sent and what total the channel announced (WooCommerce's ``X-WP-Total``, eBay's
``total``); whoever runs the pull (the sync engine) listens with
:meth:`HttpClient.watching_listings`. Channels that announce no total (Amazon, Shopify)
report ``total=None``, and the display shows counts alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_TOTAL", "ListingProgress", "ListingWatcher", "as_total"]

#: A total beyond this is not believed (a hostile or broken answer); the display shows
#: counts alone rather than a bar that can never fill.
MAX_TOTAL = 10**12


@dataclass(frozen=True, slots=True)
class ListingProgress:
    """One listing's progress after one page.

    ``listing`` numbers the listings a client has read (one per ``read_window`` call: a
    WooCommerce window is two listings, "any" and "trash"), ``read`` counts the records
    received in the current read of it, ``total`` is what the channel announced on the last
    page (None: it announces none), ``reread`` is 0 on the first read and counts the re-reads
    that a moving total causes (``read`` starts again at 0 on each).
    """

    listing: int
    operation: str
    read: int
    total: int | None
    reread: int = 0


ListingWatcher = Callable[[ListingProgress], None]


def as_total(value: Any) -> int | None:
    """A total as announced (``"412"`` in a header, ``412`` in a body), or None when it is
    missing, not a whole number or not believable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 13 else None
    if isinstance(value, int) and 0 <= value <= MAX_TOTAL:
        return value
    return None

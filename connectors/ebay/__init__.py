"""eBay (Sell Fulfillment API v1) connector: orders in by last-modified date, tracking out
as shipping fulfillments."""

from .connector import EbayConnector
from .settings import EbaySettings, refresh_token_warning

__all__ = ["EbayConnector", "EbaySettings", "refresh_token_warning"]

"""WooCommerce (REST API v3) connector for a seller's own shop."""

from .connector import WooCommerceConnector
from .settings import WooCommerceSettings

__all__ = ["WooCommerceConnector", "WooCommerceSettings"]

"""Shopify (GraphQL Admin API) connector for a seller's own shop."""

from .connector import ShopifyConnector
from .settings import ShopifySettings

__all__ = ["ShopifyConnector", "ShopifySettings"]

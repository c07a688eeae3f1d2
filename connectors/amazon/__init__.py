"""Amazon (Selling Partner API) connector: orders in with searchOrders, tracking out with
confirmShipment."""

from .connector import AmazonConnector
from .settings import AmazonSettings

__all__ = ["AmazonConnector", "AmazonSettings"]

"""Amazon's regions, their hosts and their marketplaces.

Sources: the regional hosts and the marketplace ids of FACTS §1.1
(``sp_api/base/marketplaces.py`` of python-amazon-sp-api) and Amazon's "Marketplace IDs"
page (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids). The currency is the
marketplace's own; it is used only when Amazon leaves the money out of an order (pending
orders have no price yet).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, NamedTuple

Region = Literal["na", "eu", "fe"]

#: Login with Amazon's token endpoint (the same for every region).
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - a URL, not a secret


def api_host(region: str, *, sandbox: bool = False) -> str:
    """The Selling Partner API host of ``region`` (the sandbox puts ``sandbox.`` in front)."""
    return f"https://{'sandbox.' if sandbox else ''}sellingpartnerapi-{region}.amazon.com"


class Marketplace(NamedTuple):
    """One Amazon marketplace."""

    id: str
    country: str
    region: Region
    currency: str


MARKETPLACES: MappingProxyType[str, Marketplace] = MappingProxyType(
    {
        m.id: m
        for m in (
            Marketplace("ATVPDKIKX0DER", "US", "na", "USD"),
            Marketplace("A2EUQ1WTGCTBG2", "CA", "na", "CAD"),
            Marketplace("A1AM78C64UM0Y8", "MX", "na", "MXN"),
            Marketplace("A2Q3Y263D00KWC", "BR", "na", "BRL"),
            Marketplace("A28R8C7NBKEWEA", "IE", "eu", "EUR"),
            Marketplace("A1RKKUPIHCS9HS", "ES", "eu", "EUR"),
            Marketplace("A1F83G8C2ARO7P", "UK", "eu", "GBP"),
            Marketplace("A13V1IB3VIYZZH", "FR", "eu", "EUR"),
            Marketplace("AMEN7PMS3EDWL", "BE", "eu", "EUR"),
            Marketplace("A1805IZSGTT6HS", "NL", "eu", "EUR"),
            Marketplace("A1PA6795UKMFR9", "DE", "eu", "EUR"),
            Marketplace("APJ6JRA9NG5V4", "IT", "eu", "EUR"),
            Marketplace("A2NODRKZP88ZB9", "SE", "eu", "SEK"),
            Marketplace("AE08WJ6YKNBMC", "ZA", "eu", "ZAR"),
            Marketplace("A1C3SOZRARQ6R3", "PL", "eu", "PLN"),
            Marketplace("ARBP9OOSHTCHU", "EG", "eu", "EGP"),
            Marketplace("A33AVAJ2PDY3EV", "TR", "eu", "TRY"),
            Marketplace("A17E79C6D8DWNP", "SA", "eu", "SAR"),
            Marketplace("A2VIGQ35RCS4UG", "AE", "eu", "AED"),
            Marketplace("A21TJRUUN4KGV", "IN", "eu", "INR"),
            Marketplace("A19VAU5U5O7RUS", "SG", "fe", "SGD"),
            Marketplace("A39IBJ37TRP1C6", "AU", "fe", "AUD"),
            Marketplace("A1VC38T7YXB528", "JP", "fe", "JPY"),
        )
    }
)


def region_listing(region: str) -> str:
    """The marketplaces of ``region`` as ``US ATVPDKIKX0DER, CA A2EUQ1WTGCTBG2, ...``."""
    return ", ".join(f"{m.country} {m.id}" for m in MARKETPLACES.values() if m.region == region)

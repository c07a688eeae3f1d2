"""Amazon's regions, their hosts and their marketplaces.

Sources (for the hosts here and the marketplaces in ``marketplaces.json``): the regional
hosts and the marketplace ids of FACTS §1.1
(``sp_api/base/marketplaces.py`` of python-amazon-sp-api) and Amazon's "Marketplace IDs"
page (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids). The currency is the
marketplace's own; it is used only when Amazon leaves the money out of an order (pending
orders have no price yet).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Literal, NamedTuple

Region = Literal["na", "eu", "fe"]

#: Login with Amazon's token endpoint (the same for every region).
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - a URL, not a secret


def api_host(region: str, sandbox: bool = False) -> str:
    """The Selling Partner API host of ``region`` (the sandbox puts ``sandbox.`` in front)."""
    return f"https://{'sandbox.' if sandbox else ''}sellingpartnerapi-{region}.amazon.com"


_TABLE = Path(__file__).with_name("marketplaces.json")


class Marketplace(NamedTuple):
    """One Amazon marketplace."""

    id: str
    country: str
    region: Region
    currency: str


#: Every marketplace by id (``marketplaces.json``: id -> country, region, currency).
MARKETPLACES: MappingProxyType[str, Marketplace] = MappingProxyType(
    {key: Marketplace(key, *row) for key, row in json.loads(_TABLE.read_text("utf-8")).items()}
)


def region_listing(region: str) -> str:
    """The marketplaces of ``region`` as ``US ATVPDKIKX0DER, CA A2EUQ1WTGCTBG2, ...``."""
    return ", ".join(f"{m.country} {m.id}" for m in MARKETPLACES.values() if m.region == region)

"""A simulated Shopify store on the GraphQL Admin API, for tests, benchmarks and the demo.

Split by role: ``schema.graphql`` (the Admin API types orderhub uses), :mod:`.records` (what
the store keeps), :mod:`.generation` (catalog and realistic orders), :mod:`.cost` (query
cost and the leaky bucket), :mod:`.paging` (cursors and the ``orders`` search syntax),
:mod:`.resolvers` (GraphQL answers and mutations), :mod:`.shop` (the store's state the
resolvers use), :mod:`.helpers` (test and demo helpers) and :mod:`.api` (HTTP routes,
tokens, throttling).
"""

from orderhub.sims.shopify.api import SimulatedShopify
from orderhub.sims.shopify.cost import PLANS, Plan
from orderhub.sims.shopify.generation import CATALOG
from orderhub.sims.shopify.shop import DEFAULT_SCOPES

__all__ = ["CATALOG", "DEFAULT_SCOPES", "PLANS", "Plan", "SimulatedShopify"]

"""A simulated Shopify store on the GraphQL Admin API, for tests, benchmarks and the demo.

Split by role: ``schema.graphql`` (the Admin API types orderhub uses), :mod:`.records` (what
the store keeps), :mod:`.generation` (catalog and realistic orders), :mod:`.cost` (query
cost and the leaky bucket), :mod:`.resolvers` (GraphQL answers and mutations) and
:mod:`.api` (HTTP routes, tokens, throttling, test helpers).
"""

from orderhub.testing.sims.shopify.api import DEFAULT_SCOPES, SimulatedShopify
from orderhub.testing.sims.shopify.cost import PLANS, Plan
from orderhub.testing.sims.shopify.generation import CATALOG

__all__ = ["CATALOG", "DEFAULT_SCOPES", "PLANS", "Plan", "SimulatedShopify"]

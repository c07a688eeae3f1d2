"""The GraphQL documents the connector sends, with their requested costs (Shopify's rules:
an object costs 1, a connection 2 plus ``first`` times its node; the limit is 1,000 per query).
The simulator computes the same costs, and a test keeps these figures true."""

from __future__ import annotations

_MONEY = "shopMoney { amount currencyCode }"
_ADDRESS = "name company address1 address2 city provinceCode zip countryCodeV2 phone"
_LINE = (
    "id name sku quantity currentQuantity unfulfilledQuantity variant { id } "
    f"originalUnitPriceSet {{ {_MONEY} }} discountedTotalSet {{ {_MONEY} }}"
)
#: Lines read with each order; an order with more gets the rest from ORDER_LINES.
LINES_PER_ORDER = 10
#: Orders per page: (1000 - 3) // 68, the cost of one order with its first 10 lines.
ORDERS_PER_PAGE = 14


def orders_query(addresses: bool) -> str:
    """``orders`` by ``updated_at``: 2 + 14 x 68 + 1 = 955 points requested (66 per order
    without the two addresses)."""
    people = (
        f"email phone shippingAddress {{ {_ADDRESS} }} billingAddress {{ {_ADDRESS} }}"
        if addresses
        else ""
    )
    return (
        "query Orders($first: Int!, $after: String, $query: String!) {"
        " orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {"
        " nodes { id name createdAt updatedAt cancelledAt closed closedAt"
        " displayFinancialStatus displayFulfillmentStatus currencyCode"
        f" currentTotalPriceSet {{ {_MONEY} }} {people}"
        f" lineItems(first: {LINES_PER_ORDER}) {{ nodes {{ {_LINE} }}"
        " pageInfo { hasNextPage endCursor } } }"
        " pageInfo { hasNextPage endCursor } } }"
    )


#: The rest of a long order's lines: 1 + 2 + 100 x 6 + 1 = 604 points.
ORDER_LINES = (
    "query OrderLines($id: ID!, $after: String) { order(id: $id) {"
    f" lineItems(first: 100, after: $after) {{ nodes {{ {_LINE} }}"
    " pageInfo { hasNextPage endCursor } } } }"
)

#: Limits of one fulfillment read; an order beyond them is refused rather than half read.
MAX_FULFILLMENTS = 10
MAX_FULFILLMENT_ORDERS = 5
MAX_LINES = 20

#: Everything a push decides on: 1 + 10 x 48 + (2 + 5 x 43) = 698 points.
FULFILLMENT_STATE = (
    "query FulfillmentState($id: ID!) { order(id: $id) { id"
    f" fulfillments(first: {MAX_FULFILLMENTS}) {{ id status"
    " trackingInfo(first: 5) { company number url }"
    f" fulfillmentLineItems(first: {MAX_LINES}) {{ nodes {{ quantity lineItem {{ id }} }} }} }}"
    f" fulfillmentOrders(first: {MAX_FULFILLMENT_ORDERS}) {{ nodes {{ id status"
    f" lineItems(first: {MAX_LINES}) {{ nodes {{ id remainingQuantity lineItem {{ id }} }} }}"
    " } } } }"
)

FULFILLMENT_CREATE = (
    "mutation Fulfill($fulfillment: FulfillmentInput!) {"
    " fulfillmentCreate(fulfillment: $fulfillment) {"
    " fulfillment { id status } userErrors { field message } } }"
)

TRACKING_UPDATE = (
    "mutation Retrack($id: ID!, $tracking: FulfillmentTrackingInput!, $notify: Boolean) {"
    " fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $tracking,"
    " notifyCustomer: $notify) { fulfillment { id } userErrors { field message } } }"
)

#: Catalog pages: 2 + 250 x 2 + 1 = 503 points.
VARIANTS = (
    "query Variants($after: String) { productVariants(first: 250, after: $after) {"
    " nodes { id sku barcode title displayName product { id } }"
    " pageInfo { hasNextPage endCursor } } }"
)

SHOP = "query Shop { shop { name } }"
SCOPES = "query Scopes { currentAppInstallation { accessScopes { handle } } }"

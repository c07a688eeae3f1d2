"""A simulated Amazon Selling Partner API for one seller: Login with Amazon, the Orders API
2026-01-01 ``searchOrders``/``getOrder``, and the Orders v0 ``getOrders``/``getOrderItems``/
``confirmShipment`` operations, faithful to the official models (``orders_2026-01-01.json``,
``ordersV0.json`` of ``amzn/selling-partner-api-models``) and to what Amazon is observed to
answer where the models are silent.

Routes (one server stands in for both the LWA host and the regional SP-API host):

- ``POST /auth/o2/token``: the Login with Amazon refresh-token grant (form-encoded, client
  id and secret in the body). Access tokens live one hour on the simulator's clock;
  :meth:`SimulatedAmazon.revoke` withdraws the seller's authorisation (``invalid_grant``).
- ``GET /orders/2026-01-01/orders`` (``searchOrders``, 0.0056 req/s, burst 20): the model's
  parameters (``createdAfter``/``createdBefore``/``lastUpdatedAfter``/``lastUpdatedBefore``,
  ``fulfillmentStatuses``, ``marketplaceIds``, ``fulfilledBy``, ``maxResultsPerPage``,
  ``paginationToken``, ``includedData``; arrays comma-separated, Swagger 2.0's default), with
  Amazon's rules: exactly one of ``createdAfter``/``lastUpdatedAfter``, no mixing of the two
  families, ``*Before`` at least two minutes before the request (on the simulator's clock)
  and not before ``*After``, ``maxResultsPerPage`` in 1..100. Every break answers 400
  ``InvalidInput``. Pages end with ``pagination.nextToken`` (valid 24 hours, bound to the
  query's filters; ``maxResultsPerPage`` and ``includedData`` may change between pages, as
  the model allows). Order items are always embedded; the other datasets come only when
  ``includedData`` asks for them (``FULFILLMENT``, ``PROCEEDS``, ``RECIPIENT``, ``BUYER``,
  ``PACKAGES``, ``CANCELLATION``; the others are accepted and add nothing).
- ``GET /orders/2026-01-01/orders/{orderId}`` (``getOrder``, 0.5/30).
- ``GET /orders/v0/orders`` (``getOrders``, 0.0167/20) and
  ``GET /orders/v0/orders/{orderId}/orderItems`` (``getOrderItems``, 0.5/30): the older
  per-order-items way, kept so benchmarks can measure what it costs.
- ``POST /orders/v0/orders/{orderId}/shipmentConfirmation`` (``confirmShipment``, 2/10):
  ``packageReferenceId`` must be a JSON *string* of a positive number (a JSON number gets
  ``InvalidInput ... invalid type [packageDetail.packageReferenceId]``, as Amazon answers
  since January 2026), ``shipDate`` an ISO 8601 date-time, ``carrierCode`` one of
  :data:`CARRIER_CODES` (``carrierName`` required with ``Other``), every ``orderItemId`` one
  of the order's and no quantity above what is left to ship. A package is kept per
  (order, ``packageReferenceId``): sending the same reference again *edits* that package, a
  new reference on an order with nothing left to ship answers Amazon's
  ``PackageToUpdateNotFound`` 400. The order's status and ``lastUpdatedTime`` follow.

Every API answer carries ``x-amzn-RequestId``; 200/204/400/404 answers carry
``x-amzn-RateLimit-Limit`` (the operation's rate), as the models declare. Errors use
Amazon's body, ``{"errors": [{"code", "message", "details"}]}``. The token buckets of the
usage plans run on the simulator's clock; a throttled request gets Amazon's 429
``QuotaExceeded`` body and, like Amazon, no ``Retry-After``.

The static sandbox examples of the models (``amazon_sandbox.json`` next to this module,
extracted with :func:`extract_sandbox_examples`) are served when a request matches one
exactly, as Amazon's static sandbox does: the ``confirmShipment`` example body gets its
204, the one with ``shipDate: "02/21/2022"`` its 400, ``createdAfter=TEST_CASE_400`` its
400, and so on.

Split by role: :mod:`.records` (the data model), :mod:`.sandbox` (the models' static
examples), :mod:`.base` (state, errors and lookups), :mod:`.auth` (Login with Amazon),
:mod:`.rendering` (records to Amazon's JSON), :mod:`.shipping` (``confirmShipment``),
:mod:`.generation` (seeded orders, test helpers, the live feed) and :mod:`.api` (the order
routes and paging; :class:`SimulatedAmazon` itself).
"""

from orderhub.sims.amazon.api import SimulatedAmazon
from orderhub.sims.amazon.generation import CATALOG
from orderhub.sims.amazon.records import (
    ALL_DATASETS,
    CARRIER_CODES,
    FULFILLMENT_STATUSES,
    MARKETPLACES,
    USAGE_PLANS,
    AmazonItem,
    AmazonOrderRecord,
    AmazonPackage,
    Marketplace,
)
from orderhub.sims.amazon.sandbox import extract_sandbox_examples, sandbox_examples

__all__ = [
    "ALL_DATASETS",
    "CARRIER_CODES",
    "CATALOG",
    "FULFILLMENT_STATUSES",
    "MARKETPLACES",
    "USAGE_PLANS",
    "AmazonItem",
    "AmazonOrderRecord",
    "AmazonPackage",
    "Marketplace",
    "SimulatedAmazon",
    "extract_sandbox_examples",
    "sandbox_examples",
]

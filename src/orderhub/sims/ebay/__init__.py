"""A simulated eBay: the Sell Fulfillment API v1 ``order`` resource and eBay's OAuth token
endpoint, built from eBay's published OpenAPI description of the Fulfillment API (v1.20.7)
and eBay's documentation where the description is silent.

Routes:

- ``POST /identity/v1/oauth2/token``: the refresh-token grant. Client credentials only as
  HTTP Basic (eBay accepts nothing else), a ``scope`` within what the seller consented to,
  2-hour access tokens of type ``User Access Token``, no refresh token in the answer.
  :meth:`SimulatedEbay.revoke_refresh_token` makes the next refresh fail with
  ``invalid_grant``.
- ``GET /sell/fulfillment/v1/order`` (getOrders): ``filter`` with ``creationdate``,
  ``lastmodifieddate`` (``[start..]`` or ``[start..end]``, inclusive, timestamps exactly
  ``YYYY-MM-DDThh:mm:ss.sssZ``) and ``orderfulfillmentstatus`` (``{NOT_STARTED|IN_PROGRESS}``
  or ``{FULFILLED|IN_PROGRESS}``); when both date criteria are given only ``creationdate``
  is used. ``limit`` 1..200 (default 50), ``offset`` from 0, ``orderIds`` (at most 50;
  everything else is then ignored), ``fieldGroups=TAX_BREAKDOWN``. Without a filter: orders
  created in the last 90 days. Orders come sorted by creation date, oldest first; the
  answer carries ``href``, ``limit``, ``offset``, ``total`` and ``next``/``prev`` only when
  those pages exist. ``cancelStatus.cancelRequests`` is always empty here, as on eBay.
  Refusals use eBay's errorIds: 30700 unknown filter name, 30800 bad filter value, 30810
  bad date format, 30820 start date missing, 30830 range over two years, 30840 start after
  end, 30850 a date in the future, 30900 more than 50 order ids, 31000 bad offset, 31100
  bad limit (above 200 too), 32800 bad field group.
- ``GET /sell/fulfillment/v1/order/{orderId}`` (getOrder): the order with its cancel
  requests; 32100 for an unknown id.
- ``GET .../order/{orderId}/shipping_fulfillment`` (getShippingFulfillments):
  ``{fulfillments, total}``; ``GET .../shipping_fulfillment/{fulfillmentId}``.
- ``POST .../order/{orderId}/shipping_fulfillment`` (createShippingFulfillment): checks the
  line items (32200 not in the order, 32210 listed twice, 32600 a quantity that is not a
  whole number from 1 to the line's unshipped quantity), the tracking number and carrier
  (32300 when only one is given, the number is not alphanumeric or the carrier is not a
  known eBay carrier code) and ``shippedDate`` (32500). Answers 201 with an empty object
  and ``Location: .../order/{orderId}/shipping_fulfillment/{fulfillmentId}``, where the
  fulfillment id is the tracking number. Like eBay it has no idempotency key: sending the
  same request twice creates two fulfillments (while the quantities allow it). The order
  moves to ``IN_PROGRESS`` or ``FULFILLED`` and its ``lastModifiedDate`` moves.

Every API route needs ``Authorization: Bearer <access token>`` (else 401 with errorId
1001); creating a fulfillment needs the ``sell.fulfillment`` scope, not only the read-only
one (else 403 with errorId 1100). Calls are counted per resource and per eBay day (which
ends at midnight US Pacific time); past ``daily_limit`` the API answers 429 with errorId 2001
and no ``Retry-After`` (eBay documents none; set ``quota_retry_after`` to send one).

eBay asks for ``[ ] { | }`` in ``filter`` to be percent-encoded. The in-process transport
(:meth:`SimulatedEbay.transport`) keeps the query string exactly as sent, so the
simulator can refuse unencoded brackets (30800) and tests can read the raw query
(:meth:`SimulatedEbay.raw_query`). Over a real socket the server decodes the query first,
so this check is skipped there. Whether eBay itself refuses unencoded brackets is not
documented; the simulator is strict so that a connector cannot come to rely on leniency.

Error bodies are eBay's ``{"errors": [{"errorId", "domain", "category", "message",
"longMessage"?, "parameters"?}]}``. The bodies of 404s and of a wrong ``Content-Type`` are not
documented; the simulator answers them with errorIds 2002 and 32600.

Split by role: :mod:`.records` (the data model, eBay's day and time format), :mod:`.errors`
(eBay's error bodies), :mod:`.base` (state, transport, hooks), :mod:`.quota` (the daily call
limit), :mod:`.auth` (OAuth and scopes), :mod:`.rendering` (records to eBay's JSON),
:mod:`.shipping` (the fulfillment routes), :mod:`.changes` (shipping, payment, refunds and
cancellations as helpers), :mod:`.generation` (seeded orders, the live feed) and :mod:`.api`
(the order routes and the ``filter`` grammar; :class:`SimulatedEbay` itself).
"""

from orderhub.sims.ebay.api import SimulatedEbay
from orderhub.sims.ebay.errors import ebay_error
from orderhub.sims.ebay.generation import CATALOG
from orderhub.sims.ebay.records import (
    API_PATH,
    CARRIERS,
    SCOPE,
    SCOPE_READONLY,
    TOKEN_PATH,
    EbayOrderRecord,
    ebay_day,
)

__all__ = [
    "API_PATH",
    "CARRIERS",
    "CATALOG",
    "SCOPE",
    "SCOPE_READONLY",
    "TOKEN_PATH",
    "EbayOrderRecord",
    "SimulatedEbay",
    "ebay_day",
    "ebay_error",
]

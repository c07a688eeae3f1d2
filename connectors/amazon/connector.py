"""The Amazon connector: orders in through the Orders API 2026-01-01 ``searchOrders``,
tracking out through Orders v0 ``confirmShipment``.

Why ``searchOrders``: it embeds the order items, so a page of 100 orders costs one call,
where Orders v0 needs ``getOrders`` plus one ``getOrderItems`` per order (101 calls). Its
usage plan is low (0.0056 requests per second, burst 20: one call every ~3 minutes once the
burst is spent), so calls are what a backfill's duration is made of. v0 offers nothing the
store needs that ``searchOrders`` lacks, so there is no v0 fallback.

Amazon sends no ``Retry-After``. The HTTP helper's token bucket paces every operation by its
published plan (adopting ``x-amzn-RateLimit-Limit`` when Amazon announces another rate), so
a 429 is a surprise (another app sharing the seller's quota); on one, the bucket is emptied
and the retry waits a full token interval (about 180 s for ``searchOrders``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import httpx

from orderhub import sdk

from .auth import lwa_auth
from .mapping import to_draft
from .marketplaces import LWA_TOKEN_URL, api_host
from .settings import AmazonSettings

SEARCH_ORDERS = "searchOrders"
CONFIRM_SHIPMENT = "confirmShipment"
SEARCH_PATH = "/orders/2026-01-01/orders"
CONFIRM_PATH = "/orders/v0/orders/{order_id}/shipmentConfirmation"

#: The datasets the store uses: status, fulfilment channel and shipped quantities; money.
BASE_DATASETS = ("FULFILLMENT", "PROCEEDS")

_ROLE_FIX = (
    "Amazon refused the app: check that the seller authorised it for this region, that the "
    "app has the Inventory and Order Tracking role (and Direct-to-Consumer Delivery when "
    "include_recipient_address is on), and that marketplace_ids are marketplaces the seller "
    "sells in; after changing the app's roles, authorise it again to get a new refresh token."
)
_CLOCK_FIX = (
    "Amazon says a freshly issued access token has expired: check that this machine's clock "
    "is right (NTP)."
)
_SEARCH_FIX = (
    "Check the account's marketplace_ids (each must be a marketplace the seller sells in) and "
    "that this machine's clock is right (Amazon refuses a window ending less than two minutes "
    "before its own time)."
)
_ROTATE_FIX = (
    "Rotate the client secret in Seller Central (Develop Apps -> LWA credentials -> rotate), "
    "put the new one in the variable named by client_secret_env, update "
    "client_secret_expires_on and restart the worker."
)
_ALREADY_SHIPPED = ("packagetoupdatenotfound", "already fulfilled", "already shipped")
_DEFAULT_PUSH_FIX = (
    "Read Amazon's reason above, correct the shipment (or the order in Seller Central), then "
    "retry it."
)
# The confirmShipment fields Amazon's refusals name, in the order they are looked for in
# its message (carrierCode before carrierName, orderItemId before orderItems), with the fix.
_FIELD_FIXES = {
    "packageReferenceId": "orderhub's shipment reference was refused: report this.",
    "carrierCode": (
        "Use a carrier code from Amazon's carrier list (UPS, USPS, FedEx, DHL, Royal Mail, DPD, "
        "...), or carrierCode Other with the carrier's name; correct the carrier mapping for "
        "this account, then retry the shipment."
    ),
    "carrierName": "Carrier code Other needs the carrier's name: set it on the shipment.",
    "trackingNumber": "Check the shipment's tracking number, then retry the shipment.",
    "shipDate": "The ship date must be a real date, not in the future; correct the shipment.",
    "orderItemId": (
        "The shipment's lines must be items of this Amazon order (see `orderhub orders show`); "
        "correct them, then retry."
    ),
    "orderItems": _DEFAULT_PUSH_FIX,
    "quantity": (
        "The shipment ships more than is left to ship on this order (or nothing); correct "
        "its quantities, then retry."
    ),
    "marketplaceId": "The shipment must carry the order's marketplace id (stored with it).",
    "shippingMethod": _DEFAULT_PUSH_FIX,
}


def _needs(carrier: str, field: str, what: str, attribute: str) -> sdk.CarrierRule:
    return sdk.CarrierRule(carrier, (attribute,), f"{what} (field {field})", _FIELD_FIXES[field])


class AmazonConnector(sdk.Connector[AmazonSettings]):
    """Pulls an Amazon seller's orders (Selling Partner API) and confirms shipments."""

    name = "amazon"
    capabilities: ClassVar[frozenset[sdk.Capability]] = frozenset(
        {
            sdk.Capability.FETCH_ORDERS,
            sdk.Capability.PUSH_TRACKING,
            sdk.Capability.PARTIAL_SHIPMENTS,
            sdk.Capability.CANCELLATIONS,
        }
    )
    settings_model = AmazonSettings
    # The default usage plans (usage-plans.extracted.json); Amazon may grant a seller more
    # and says so in x-amzn-RateLimit-Limit, which is adopted (keeping the burst).
    # confirmShipment's bucket starts empty: a push process started right after another one
    # (a restarted worker, `orderhub push` after the worker) meets Amazon's bucket for the
    # seller as that one left it, often empty mid-drain; waiting 0.5 s for the first token
    # costs less than the 429 a full start's burst meets. searchOrders keeps the full start:
    # an empty one would hold every new process's first page back three minutes.
    rate_limits: ClassVar[Mapping[str, sdk.RateLimit]] = MappingProxyType(
        {
            SEARCH_ORDERS: sdk.RateLimit(rate=0.0056, burst=20),
            "getOrder": sdk.RateLimit(rate=0.5, burst=30),
            CONFIRM_SHIPMENT: sdk.RateLimit(rate=2.0, burst=10, start_full=False),
        }
    )
    # The defaults hold for the rest: a 429 without Retry-After empties the operation's
    # bucket, so each of the four retries of RetryPolicy() goes out a full token interval
    # after the 429 at the earliest (~180 s for searchOrders, whatever the backoff): about
    # twelve minutes, then the run fails and the next scheduled run starts over. Transient
    # 5xx answers back off from one second. searchOrders documents no order for its results
    # (sorted_by_updated_at stays False), so the cursor moves per window chunk; windows of at
    # most 7 days, 100 orders a page, 10 minutes of lookback, 30 days of first backfill.
    # Amazon refuses a lastUpdatedBefore less than two minutes before its own time; five
    # seconds more keep a slightly fast clock on this machine from breaking every sync.
    settle_delay = timedelta(minutes=2, seconds=5)
    # Amazon may grant a seller more than the default plan and says so here (no burst).
    rate_limit_header = "x-amzn-RateLimit-Limit"
    # orderhub status warns 30 and 7 days before the LWA client secret must be rotated.
    expiry_setting = ("client_secret_expires_on", "the Amazon LWA client secret", _ROTATE_FIX)
    # What confirmShipment insists on; the push runner refuses a shipment breaking one before
    # sending, and confirmation_body checks them again for direct callers.
    carrier_rules = (
        _needs("*", "carrierCode", "no carrier code", "carrier_code"),
        _needs(
            "other", "carrierName", "carrier code Other needs the carrier's name", "carrier_name"
        ),
        _needs("*", "trackingNumber", "no tracking number", "tracking_number"),
        _needs("*", "marketplaceId", "no marketplace id", "marketplace"),
    )

    # -- wiring ----------------------------------------------------------------------------

    def base_url(self) -> str:
        """The regional SP-API host (``sandbox.`` in front for the sandbox), or
        ``api_base_url``."""
        return self.settings.api_base_url or api_host(self.settings.region, self.settings.sandbox)

    @cached_property
    def lwa(self) -> sdk.RefreshTokenAuth:
        """The Login with Amazon auth flow (its ``refreshes`` count is read by tests and ops)."""
        keys = ("refresh_token", "client_id", "client_secret")
        secrets = {key: getattr(self.settings, key).get_secret_value() for key in keys}
        token_url = self.settings.token_url or LWA_TOKEN_URL
        return lwa_auth(token_url=token_url, clock=self.clock, **secrets)

    def auth(self) -> httpx.Auth:
        return self.lwa

    def included_data(self) -> tuple[str, ...]:
        """The ``includedData`` datasets asked for: only what the store uses."""
        recipient = ("RECIPIENT",) if self.settings.include_recipient_address else ()
        return (*BASE_DATASETS, *recipient)

    def classify_response(self, response: httpx.Response) -> sdk.ConnectorError | None:
        """Amazon's 403s (the app, the role or the authorisation) and the 400s of
        ``searchOrders`` and ``confirmShipment`` get messages and fixes a seller can act on;
        everything else follows the default rules."""
        status, path = response.status_code, response.request.url.path
        if status == 403:
            # Reached only after the access token was renewed once (see auth.token_rejected).
            fix = _CLOCK_FIX if "expired" in sdk.error_text(response) else _ROLE_FIX
            what = f"Amazon answered HTTP 403 to {path}"
            return sdk.answer_error(response, sdk.AuthError, what, fix)
        if status == 400 and path.endswith("/shipmentConfirmation"):
            order = unquote(path.split("/")[-2])
            if sdk.says_any(response, _ALREADY_SHIPPED):
                return sdk.AlreadyShippedError(
                    f"Amazon has nothing left to ship on order {order} (PackageToUpdateNotFound)",
                    code="PackageToUpdateNotFound",
                    detail={"amazon": "PackageToUpdateNotFound"},
                )
            what = f"Amazon refused the shipment confirmation of order {order}"
            return sdk.field_refusal(response, what, _FIELD_FIXES, _DEFAULT_PUSH_FIX)
        if status == 400 and path.rstrip("/") == SEARCH_PATH:
            markets = ", ".join(self.settings.marketplace_ids)
            what = f"Amazon refused the order search for marketplaces {markets}"
            return sdk.answer_error(response, sdk.RejectedError, what, _SEARCH_FIX)
        return None

    # -- orders in -------------------------------------------------------------------------

    def _search(self, start: datetime, end: datetime, **more: Any) -> dict[str, Any]:
        """The searchOrders filters of a window (Amazon wants them again with every token)."""
        after, before = sdk.format_utc(start), sdk.format_utc(end)
        ids = ",".join(self.settings.marketplace_ids)
        return dict(lastUpdatedAfter=after, lastUpdatedBefore=before, marketplaceIds=ids, **more)

    def check(self) -> None:
        """One ``searchOrders`` call over the last ten minutes (one order at most): proves
        the LWA credentials, the app's role and the marketplace ids."""
        end = self.clock.now() - self.settle_delay
        params = self._search(end - timedelta(minutes=10), end, maxResultsPerPage=1)
        self.http.get_json(SEARCH_ORDERS, SEARCH_PATH, params=params)

    def fetch_orders(self, window: sdk.SyncWindow) -> Iterator[dict[str, Any]]:
        """Every order of the account's marketplaces updated within ``window``, with its
        items embedded, 100 per call."""
        datasets = ",".join(self.included_data())
        yield from sdk.paginate(
            self.http,
            SEARCH_ORDERS,
            SEARCH_PATH,
            params=self._search(
                window.start, window.end, includedData=datasets, maxResultsPerPage=self.page_size
            ),
            paginator=sdk.NextTokenPaginator("pagination.nextToken", "paginationToken"),
            records=sdk.records_at("orders", SEARCH_ORDERS, missing_is_empty=False),
        )

    def to_order(self, raw: dict[str, Any]) -> sdk.OrderDraft:
        return to_draft(raw)

    # -- tracking out ----------------------------------------------------------------------

    def confirmation_body(self, shipment: sdk.ShipmentDraft) -> dict[str, Any]:
        """The ``confirmShipment`` request for ``shipment``. Raises :class:`RejectedError`
        (naming the field) for a shipment Amazon could never accept."""
        sdk.check_shipment(shipment, "Amazon", self.carrier_rules)
        reference = shipment.reference
        if not (reference.isascii() and reference.isdigit() and int(reference) > 0):
            raise sdk.refusal(
                shipment,
                "Amazon",
                f"reference {reference!r} is not a positive number, which Amazon needs as "
                "packageReferenceId",
                "This is an orderhub bug (references are positive numbers): report it.",
            )
        lines = sdk.shipped_lines(
            shipment, "Amazon", "orderItemId", field="orderItems", fix=_FIELD_FIXES["quantity"]
        )
        detail: dict[str, Any] = {
            # A JSON string: Amazon refuses a number here since January 2026.
            "packageReferenceId": reference,
            "carrierCode": shipment.carrier_code.strip(),
            "trackingNumber": shipment.tracking_number.strip(),
            "shipDate": sdk.format_utc(shipment.shipped_at),
            "orderItems": lines,
        }
        if detail["carrierCode"] == "Other":
            detail["carrierName"] = (shipment.carrier_name or "").strip()
        return {"marketplaceId": shipment.marketplace, "packageDetail": detail}

    def push_tracking(self, shipment: sdk.ShipmentDraft) -> sdk.PushResult:
        """Confirm one package of a merchant-fulfilled order (never call it for orders
        Amazon fulfils: the push job skips those).

        ``shipment.reference`` is sent as ``packageReferenceId``: sending it again *edits*
        that package on Amazon, so a retry after a lost answer never creates a second one
        (the request is retried on timeouts and 5xx for that reason). Amazon's
        ``PackageToUpdateNotFound`` (nothing left to ship) reads as already applied.
        """
        body = self.confirmation_body(shipment)
        path = CONFIRM_PATH.format(order_id=quote(shipment.order_external_id, safe=""))
        return sdk.push_once(
            shipment,
            lambda: self.http.send_json(CONFIRM_SHIPMENT, "POST", path, json=body, idempotent=True),
            detail={"packageReferenceId": shipment.reference},
        )

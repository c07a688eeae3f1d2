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

import math
import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import httpx

from orderhub.sdk import (
    AuthError,
    Capability,
    Connector,
    ConnectorContext,
    ConnectorError,
    CredentialExpiry,
    NextTokenPaginator,
    OrderDraft,
    PushOutcome,
    PushResult,
    RateLimit,
    RefreshTokenAuth,
    RejectedError,
    RetryPolicy,
    ShipmentDraft,
    SyncWindow,
    error_entries,
    format_utc,
    paginate,
    records_at,
)

from .auth import lwa_auth, says_expired
from .mapping import to_draft
from .marketplaces import API_HOSTS, LWA_TOKEN_URL
from .settings import AmazonSettings

SEARCH_ORDERS = "searchOrders"
GET_ORDER = "getOrder"
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
_ALREADY_SHIPPED = ("packagetoupdatenotfound", "already fulfilled", "already shipped")
_FIELD_IN_BRACKETS = re.compile(r"\[([A-Za-z][A-Za-z0-9_.\[\]]*)\]")
_FIELDS = (
    "packageReferenceId",
    "carrierCode",
    "carrierName",
    "trackingNumber",
    "shipDate",
    "orderItemId",
    "orderItems",
    "quantity",
    "marketplaceId",
    "shippingMethod",
)
_FIELD_FIXES = {
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
    "quantity": (
        "The shipment ships more than is left to ship on this order (or nothing); correct "
        "its quantities, then retry."
    ),
    "marketplaceId": "The shipment must carry the order's marketplace id (stored with it).",
    "packageReferenceId": "orderhub's shipment reference was refused: report this.",
}
_DEFAULT_PUSH_FIX = (
    "Read Amazon's reason above, correct the shipment (or the order in Seller Central), then "
    "retry it."
)


class _AlreadyShipped(RejectedError):
    """Amazon has no package to edit and nothing left to ship: the order is fulfilled."""


def _short(value: Any, limit: int = 240) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_of(text: str) -> str | None:
    """The request field an Amazon error message is about, if it names one."""
    found = _FIELD_IN_BRACKETS.search(text)
    if found is not None:
        return found.group(1)
    lowered = text.lower()
    for name in _FIELDS:
        if name.lower() in lowered:
            return name
    return None


def _fix_for(field: str | None) -> str:
    if field is None:
        return _DEFAULT_PUSH_FIX
    leaf = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    return _FIELD_FIXES.get(leaf, _DEFAULT_PUSH_FIX)


class AmazonConnector(Connector[AmazonSettings]):
    """Pulls an Amazon seller's orders (Selling Partner API) and confirms shipments."""

    name = "amazon"
    version = "0.1.0"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FETCH_ORDERS,
            Capability.PUSH_TRACKING,
            Capability.PARTIAL_SHIPMENTS,
            Capability.CANCELLATIONS,
        }
    )
    settings_model = AmazonSettings
    # The default usage plans (usage-plans.extracted.json); Amazon may grant a seller more
    # and says so in x-amzn-RateLimit-Limit, which is adopted (keeping the burst).
    rate_limits: ClassVar[Mapping[str, RateLimit]] = MappingProxyType(
        {
            SEARCH_ORDERS: RateLimit(rate=0.0056, burst=20),
            GET_ORDER: RateLimit(rate=0.5, burst=30),
            CONFIRM_SHIPMENT: RateLimit(rate=2.0, burst=10),
        }
    )
    # A 429 without Retry-After empties the operation's bucket, so each retry goes out a full
    # token interval after the 429 at the earliest (~180 s for searchOrders, whatever the
    # backoff): four retries span about twelve minutes, then the run fails and the next
    # scheduled run starts over. Transient 5xx answers back off from one second.
    retry_policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=60.0, jitter=0.1)
    lookback = timedelta(minutes=10)
    # Amazon refuses a lastUpdatedBefore less than two minutes before its own time; five
    # seconds more keep a slightly fast clock on this machine from breaking every sync.
    settle_delay = timedelta(minutes=2, seconds=5)
    max_window = timedelta(days=7)
    initial_backfill = timedelta(days=30)
    # searchOrders documents no order for its results, so the cursor moves per window chunk.
    sorted_by_updated_at = False
    page_size = 100

    #: The Login with Amazon auth flow (its ``refreshes`` count is read by tests and ops).
    lwa: RefreshTokenAuth

    # -- status --------------------------------------------------------------------------

    @classmethod
    def credentials_expiry(cls, settings: Mapping[str, Any]) -> CredentialExpiry | None:
        """The LWA client secret's rotation deadline, from ``client_secret_expires_on``."""
        value: Any = (
            settings.client_secret_expires_on
            if isinstance(settings, AmazonSettings)
            else settings.get("client_secret_expires_on")
        )
        if value is None:
            return None
        try:
            expires = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            return None
        return CredentialExpiry(
            expires_on=expires,
            what="the Amazon LWA client secret",
            fix=(
                "Rotate the client secret in Seller Central (Develop Apps -> LWA credentials "
                "-> rotate), put the new one in the variable named by client_secret_env, "
                "update client_secret_expires_on and restart the worker."
            ),
        )

    # -- wiring ----------------------------------------------------------------------------

    def base_url(self) -> str:
        """The regional SP-API host (``sandbox.`` in front for the sandbox), or
        ``api_base_url``."""
        if self.settings.api_base_url:
            return self.settings.api_base_url
        host = API_HOSTS[self.settings.region]
        return f"https://{'sandbox.' if self.settings.sandbox else ''}{host}"

    def __init__(self, context: ConnectorContext[AmazonSettings]) -> None:
        super().__init__(context)
        self.lwa = lwa_auth(
            token_url=self.settings.token_url or LWA_TOKEN_URL,
            refresh_token=self.settings.refresh_token.get_secret_value(),
            client_id=self.settings.client_id.get_secret_value(),
            client_secret=self.settings.client_secret.get_secret_value(),
            clock=self.clock,
        )

    def auth(self) -> httpx.Auth:
        return self.lwa

    def included_data(self) -> tuple[str, ...]:
        """The ``includedData`` datasets asked for: only what the store uses."""
        if self.settings.include_recipient_address:
            return (*BASE_DATASETS, "RECIPIENT")
        return BASE_DATASETS

    def rate_limit_from_response(
        self, operation: str, response: httpx.Response
    ) -> RateLimit | None:
        """Amazon's ``x-amzn-RateLimit-Limit`` (requests per second), with the declared
        burst (Amazon announces no burst)."""
        value = response.headers.get("x-amzn-RateLimit-Limit")
        if not value:
            return None
        try:
            rate = float(value.strip())
        except ValueError:
            return None
        if not math.isfinite(rate) or rate <= 0:
            return None
        declared = self.rate_limits.get(operation)
        return RateLimit(rate=rate, burst=declared.burst if declared is not None else 1)

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        """Amazon's 403s (the app, the role or the authorisation) and the 400s of
        ``searchOrders`` and ``confirmShipment`` get messages and fixes a seller can act on;
        everything else follows the default rules."""
        status = response.status_code
        path = response.request.url.path
        if status == 403:
            # Reached only after the access token was renewed once (see auth.token_rejected).
            code, message = self._first_error(response)
            return AuthError(
                f"Amazon answered HTTP 403 to {path} ({code}: {message})",
                fix=_CLOCK_FIX if says_expired(response) else _ROLE_FIX,
                code=code,
            )
        if status == 400 and path.endswith("/shipmentConfirmation"):
            return self._confirmation_error(response)
        if status == 400 and path.rstrip("/") == SEARCH_PATH:
            code, message = self._first_error(response)
            return RejectedError(
                f"Amazon refused the order search for marketplaces "
                f"{', '.join(self.settings.marketplace_ids)} ({code}: {message})",
                fix=_SEARCH_FIX,
                code=code,
            )
        return None

    @staticmethod
    def _first_error(response: httpx.Response) -> tuple[str, str]:
        errors = error_entries(response)
        if not errors:
            return "no error code", _short(response.text or "(empty body)", 120)
        first = errors[0]
        return _short(first.get("code") or "no error code", 60), _short(
            first.get("message") or first.get("details") or "", 240
        )

    def _confirmation_error(self, response: httpx.Response) -> RejectedError:
        order_id = unquote(response.request.url.path.split("/")[-2])
        errors = error_entries(response)
        text = " ".join(
            str(e.get(key) or "") for e in errors for key in ("code", "message", "details")
        )
        code, message = self._first_error(response)
        if any(marker in text.lower() for marker in _ALREADY_SHIPPED):
            return _AlreadyShipped(
                f"Amazon has nothing left to ship on order {order_id} (PackageToUpdateNotFound)",
                code="PackageToUpdateNotFound",
            )
        field = _field_of(text)
        about = f" (field {field})" if field else ""
        return RejectedError(
            f"Amazon refused the shipment confirmation of order {order_id}{about}: "
            f"{code}: {message}",
            fix=_fix_for(field),
            code=code,
        )

    # -- orders in -------------------------------------------------------------------------

    def check(self) -> None:
        """One ``searchOrders`` call over the last ten minutes (one order at most): proves
        the LWA credentials, the app's role and the marketplace ids."""
        end = self.clock.now() - self.settle_delay
        self.http.get_json(
            SEARCH_ORDERS,
            SEARCH_PATH,
            params={
                "lastUpdatedAfter": format_utc(end - timedelta(minutes=10)),
                "lastUpdatedBefore": format_utc(end),
                "marketplaceIds": ",".join(self.settings.marketplace_ids),
                "maxResultsPerPage": 1,
            },
        )

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        """Every order of the account's marketplaces updated within ``window``, with its
        items embedded, 100 per call."""
        params = {
            "lastUpdatedAfter": format_utc(window.start),
            "lastUpdatedBefore": format_utc(window.end),
            "marketplaceIds": ",".join(self.settings.marketplace_ids),
            "includedData": ",".join(self.included_data()),
            "maxResultsPerPage": self.page_size,
        }
        yield from paginate(
            self.http,
            SEARCH_ORDERS,
            SEARCH_PATH,
            params=params,
            paginator=NextTokenPaginator("pagination.nextToken", "paginationToken"),
            records=records_at("orders", SEARCH_ORDERS, missing_is_empty=False),
        )

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        return to_draft(raw)

    # -- tracking out ----------------------------------------------------------------------

    def confirmation_body(self, shipment: ShipmentDraft) -> dict[str, Any]:
        """The ``confirmShipment`` request for ``shipment``. Raises :class:`RejectedError`
        (naming the field) for a shipment Amazon could never accept."""
        order = shipment.order_external_id
        reference = shipment.reference
        if not (isinstance(reference, str) and reference.isascii() and reference.isdigit()) or (
            int(reference) <= 0
        ):
            raise RejectedError(
                f"shipment of Amazon order {order}: reference {reference!r} is not a positive "
                "number, which Amazon needs as packageReferenceId",
                fix="This is an orderhub bug (references are positive numbers): report it.",
            )
        carrier = (shipment.carrier_code or "").strip()
        if not carrier:
            raise RejectedError(
                f"shipment of Amazon order {order}: no carrier code (field carrierCode)",
                fix=_FIELD_FIXES["carrierCode"],
            )
        carrier_name = (shipment.carrier_name or "").strip()
        if carrier == "Other" and not carrier_name:
            raise RejectedError(
                f"shipment of Amazon order {order}: carrier code Other needs the carrier's "
                "name (field carrierName)",
                fix=_FIELD_FIXES["carrierName"],
            )
        if not shipment.tracking_number.strip():
            raise RejectedError(
                f"shipment of Amazon order {order}: no tracking number (field trackingNumber)",
                fix=_FIELD_FIXES["trackingNumber"],
            )
        if not shipment.marketplace:
            raise RejectedError(
                f"shipment of Amazon order {order}: no marketplace id (field marketplaceId)",
                fix=_FIELD_FIXES["marketplaceId"],
            )
        if not shipment.lines or any(line.quantity <= 0 for line in shipment.lines):
            raise RejectedError(
                f"shipment of Amazon order {order}: no lines, or a line without a positive "
                "quantity (field orderItems)",
                fix=_FIELD_FIXES["quantity"],
            )
        detail: dict[str, Any] = {
            # A JSON string: Amazon refuses a number here since January 2026.
            "packageReferenceId": reference,
            "carrierCode": carrier,
            "trackingNumber": shipment.tracking_number.strip(),
            "shipDate": format_utc(shipment.shipped_at),
            "orderItems": [
                {"orderItemId": line.line_external_id, "quantity": line.quantity}
                for line in shipment.lines
            ],
        }
        if carrier == "Other":
            detail["carrierName"] = carrier_name
        return {"marketplaceId": shipment.marketplace, "packageDetail": detail}

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        """Confirm one package of a merchant-fulfilled order (never call it for orders
        Amazon fulfils: the push job skips those).

        ``shipment.reference`` is sent as ``packageReferenceId``: sending it again *edits*
        that package on Amazon, so a retry after a lost answer never creates a second one
        (the request is retried on timeouts and 5xx for that reason). Amazon's
        ``PackageToUpdateNotFound`` (nothing left to ship) reads as already applied.
        """
        body = self.confirmation_body(shipment)
        path = CONFIRM_PATH.format(order_id=quote(shipment.order_external_id, safe=""))
        try:
            self.http.send_json(CONFIRM_SHIPMENT, "POST", path, json=body, idempotent=True)
        except _AlreadyShipped:
            return PushResult(
                outcome=PushOutcome.ALREADY_APPLIED,
                channel_reference=shipment.reference,
                detail={"amazon": "PackageToUpdateNotFound"},
            )
        return PushResult(
            outcome=PushOutcome.APPLIED,
            channel_reference=shipment.reference,
            detail={"packageReferenceId": shipment.reference},
        )

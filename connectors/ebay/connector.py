"""The eBay connector: orders in with ``getOrders``, tracking out with
``createShippingFulfillment`` (Sell Fulfillment API v1).

Orders in
    ``GET /order?filter=lastmodifieddate:[start..end]&limit=200&offset=n``. eBay wants the
    brackets of the filter percent-encoded (``%5B``/``%5D``) and shows the rest (``:``,
    ``..``) literally, so the query string is written here rather than by httpx (which
    would encode the colons too). eBay sorts the answer by *creation* date, so the engine
    moves the cursor only once a whole window has been read. Paging is by offset: if an
    order inside the window is modified while the window is paged, it leaves the window and
    every later order moves one place forward, so one would be skipped; the connector
    compares ``total`` on every page with the first and reads the window again when it
    changed (upserts make the second read free of duplicates).

    The list call always leaves ``cancelStatus.cancelRequests`` empty. For an order whose
    ``cancelState`` is ``IN_PROGRESS`` or ``CANCELED`` the connector reads the order alone
    (``getOrder``) and puts its ``cancelStatus`` into the stored payload; other orders cost
    no extra call.

Tracking out
    eBay has no idempotency key, and a repeated ``createShippingFulfillment`` creates a
    second fulfillment. So every push first reads the order's fulfillments
    (``GET /order/{orderId}/shipping_fulfillment``) and reports ``ALREADY_APPLIED`` when one
    carries the same tracking number; only then does it create one. The POST is therefore
    never retried blindly: after a timeout the push runner calls ``push_tracking`` again
    and the check finds the fulfillment the lost answer created.

Daily call limits
    Every request sent to the API is counted per eBay day (:class:`~orderhub.sdk.DailyQuota`;
    the day ends at midnight US Pacific time); orders in stops before it would use the calls
    kept back for tracking uploads (``daily_reserve``), with a :class:`RateLimitedError`
    that says when the count resets. A 429 (errorId 2001) is
    waited out as the answer allows: its ``Retry-After`` when there is one, else one minute,
    then five, then the connector gives up until the next run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from orderhub.sdk import (
    Capability,
    CheckedPush,
    Connector,
    ConnectorContext,
    ConnectorError,
    DailyQuota,
    FulfillmentShape,
    OffsetPaginator,
    OrderDraft,
    PushOutcome,
    PushResult,
    RateLimit,
    RawQueryPaginator,
    RefreshTokenAuth,
    RejectedError,
    RetryPolicy,
    ShipmentDraft,
    SyncWindow,
    auth_refusal,
    error_entries,
    expiry_field,
    explain_rejection,
    format_utc,
    id_from_location,
    ordered_lines,
    plain_tracking,
    read_window,
    records_at,
    shipped_lines,
)

from .mapping import needs_cancel_detail, to_draft
from .settings import RENEW_FIX, SCOPE, EbaySettings, refresh_token_warning

GET_ORDERS = "getOrders"
GET_ORDER = "getOrder"
GET_FULFILLMENTS = "getShippingFulfillments"
CREATE_FULFILLMENT = "createShippingFulfillment"

#: Orders per page: eBay's maximum for ``getOrders`` (a larger limit fails the call).
PAGE_LIMIT = 200
# How eBay's fulfillments list their lines; the id is the tracking number on eBay's side.
_FULFILLMENTS = FulfillmentShape(
    lines="lineItems",
    line_id="lineItemId",
    tracking=("shipmentTrackingNumber", "fulfillmentId"),
    reference="fulfillmentId",
)

REAUTHORISE_FIX = (
    "eBay no longer accepts this account's refresh token (revoked by the seller, expired "
    "after about 18 months, or issued to another keyset or environment). " + RENEW_FIX
)
# What a 401 or 403 that survived one token renewal means, and what to check first.
_AUTH_REFUSALS = {
    401: (
        "eBay refuses the access token even after renewing it",
        "Check that client_id, client_secret and the refresh token all belong to the same "
        "keyset and to the configured environment (production or sandbox). ",
    ),
    403: (
        "the token lacks permission",
        "The seller's consent must include the sell.fulfillment scope (the read-only scope "
        "cannot upload tracking). ",
    ),
}

# Reasons and fixes for createShippingFulfillment's documented 400 errors.
_PUSH_ERRORS: Mapping[str, tuple[str, str]] = {
    "32100": (
        "eBay does not know this order id",
        "Check the shipment's order: it must be an order of this eBay account.",
    ),
    "32200": (
        "a line item id does not belong to the order",
        "Check the shipment's lines: they must be line item ids of this order.",
    ),
    "32210": (
        "the same line item is listed twice",
        "Merge the shipment's lines so each line item appears once.",
    ),
    "32300": (
        "invalid shipment tracking number or carrier",
        "Check the carrier code (an eBay ShippingCarrierCodeType value such as USPS, UPS, "
        "FedEx) and the tracking number, then queue the shipment again.",
    ),
    "32400": (
        "the seller's eBay account is suspended",
        "Resolve the suspension with eBay; the upload cannot succeed before that.",
    ),
    "32500": (
        "invalid shipped date",
        "Check the shipment's shipped date (it must be a real past date and time).",
    ),
    "34100": (
        "the order already has the maximum number of tracking numbers",
        "Correct an existing fulfillment in Seller Hub instead of adding another.",
    ),
    "34500": (
        "eBay wants the existing fulfillment updated, not a new one",
        "Correct the fulfillment in Seller Hub.",
    ),
}


_PUSH_REFUSED = (
    "eBay refused the fulfillment",
    "Read eBay's answer in the log, correct the shipment and queue it again.",
)


def ebay_time(value: datetime) -> str:
    """eBay's timestamp format, ``YYYY-MM-DDThh:mm:ss.sssZ`` (UTC, milliseconds)."""
    return format_utc(value, millis=True)


def orders_query(start: datetime, end: datetime, *, limit: int, offset: int) -> str:
    """The query string of one ``getOrders`` page for orders modified in ``[start, end]``.
    The filter is encoded as eBay requires: ``[ ] { | }`` (and anything else outside the
    plain URL characters) percent-encoded; ``:``, ``,`` and ``..`` as they are."""
    criterion = quote(f"lastmodifieddate:[{ebay_time(start)}..{ebay_time(end)}]", safe=":,")
    return f"filter={criterion}&limit={limit}&offset={offset}"


def _error_ids(response: httpx.Response) -> list[int]:
    return [e["errorId"] for e in error_entries(response) if isinstance(e.get("errorId"), int)]


def _token_expired(response: httpx.Response) -> bool:
    """eBay's answer to an expired or unknown access token: 401 with errorId 1001."""
    return response.status_code == 401 and 1001 in _error_ids(response)


def _order_path(order_id: str, *rest: str) -> str:
    return "/".join(("order", quote(order_id, safe=""), *rest))


class EbayConnector(CheckedPush, Connector[EbaySettings]):
    """Pulls an eBay seller's orders and uploads tracking numbers (Sell Fulfillment API v1,
    OAuth user token renewed from the seller's refresh token).

    ``push_tracking`` (:class:`~orderhub.sdk.CheckedPush`) creates a shipping fulfillment
    unless the order already has one with the same tracking number (then
    ``ALREADY_APPLIED``). It refuses without sending when a line asks for more units than
    eBay still has unshipped because other fulfillments (entered in Seller Hub, or eBay's
    own) already cover them: eBay would only answer 400 with errorId 32600 "Invalid input
    data". That check costs one ``getOrder`` call, and only when a line of the shipment
    already appears in a fulfillment."""

    name = "ebay"
    version = "0.1.0"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FETCH_ORDERS,
            Capability.PUSH_TRACKING,
            Capability.PARTIAL_SHIPMENTS,
            Capability.CANCELLATIONS,
        }
    )
    settings_model = EbaySettings
    # eBay publishes daily limits only (counted by DailyQuota); this bucket keeps bursts
    # polite and gives the HTTP helper a plan to start over after a 429.
    default_rate_limit = RateLimit(rate=5.0, burst=10)
    retry_policy = RetryPolicy(max_attempts=4)
    lookback = timedelta(minutes=15)
    # Windows end a minute in the past: eBay refuses filter dates in the future (30850),
    # so a clock a little ahead of eBay's must not break every run.
    settle_delay = timedelta(minutes=1)
    max_window = timedelta(days=7)
    sorted_by_updated_at = False  # eBay sorts by creation date
    page_size = PAGE_LIMIT
    channel_title = "eBay"
    console = "Seller Hub"
    carrier_examples = "USPS, UPS, FedEx"
    fulfillment_shape = _FULFILLMENTS
    expiry_setting = ("refresh_token_expires_on", "the eBay refresh token", RENEW_FIX)

    def __init__(self, context: ConnectorContext[EbaySettings]) -> None:
        super().__init__(context)
        self.label = f"eBay account {self.account_id}"
        # eBay's day of call limits ends at midnight US Pacific time (the default day). After
        # a 429 without Retry-After it waits one minute, then five: a throttle that passes is
        # over by then, and a used-up daily quota costs only three calls before giving up.
        self.quota = DailyQuota.from_settings(
            self.settings,
            clock=self.clock,
            label=f"{self.label}: ",
            channel="eBay",
            raise_fix="raise the limit with eBay's Application Growth Check",
        )

    # -- hooks ---------------------------------------------------------------------------

    def base_url(self) -> str:
        return self.settings.resolved_api_base_url

    def auth(self) -> httpx.Auth:
        return RefreshTokenAuth(
            # Every API request counts against the daily quota; token requests do not.
            on_send=lambda request: self.quota.record(),
            label=f"{self.label}: ",
            token_url=self.settings.resolved_token_url,
            **self.settings.refresh_grant(),
            clock=self.context.clock,
            scope=SCOPE,
            client_auth="basic",
            expired=_token_expired,
            reauthorise_fix=REAUTHORISE_FIX,
        )

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        status = response.status_code
        self.quota.answered(status)
        ids = _error_ids(response)
        if status == 429:
            limited = 2001 in ids
            return self.quota.throttled(
                response,
                reason="errorId 2001, the request limit has been reached"
                if limited
                else f"errorIds {ids or 'none'}",
                code="2001" if limited else None,
            )
        return auth_refusal(
            response, label=f"{self.label}: ", refusals=_AUTH_REFUSALS, fix_suffix=REAUTHORISE_FIX
        )

    # -- status --------------------------------------------------------------------------

    def attention(self, now: datetime) -> str | None:
        """A warning for ``orderhub status`` when the refresh token expires within 30 days
        (per ``refresh_token_expires_on``), else None."""
        return self.settings_attention(self.settings, now, self.account_id)

    @classmethod
    def settings_attention(
        cls, settings: Mapping[str, Any] | EbaySettings, now: datetime, account_id: str
    ) -> str | None:
        """:meth:`attention` without building a connector: ``settings`` may be the raw
        settings table of the configuration (secrets need not be set)."""
        expires = expiry_field(settings, "refresh_token_expires_on")
        return refresh_token_warning(expires, now, account_id=account_id)

    # -- orders in -----------------------------------------------------------------------

    def check(self) -> None:
        """One ``getOrders`` call for a single order: proves the keyset, the refresh token
        and the scope."""
        self.quota.ensure("pull")
        self.http.get_json(GET_ORDERS, "order?limit=1")

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        for raw in read_window(
            self.http,
            GET_ORDERS,
            "order",
            paginator=lambda: RawQueryPaginator(
                OffsetPaginator(limit=PAGE_LIMIT),
                "order",
                lambda params: orders_query(window.start, window.end, **params),
            ),
            records="orders",
            total_path="total",
            record_id="orderId",
            before_page=lambda: self.quota.ensure("pull"),
            log=self.log,
            label=f"{self.label}: ",
            loop_fix="Check for a proxy or cache between orderhub and eBay that ignores the "
            "offset parameter (api_base_url).",
        ):
            yield self._with_cancel_detail(raw) if needs_cancel_detail(raw) else raw

    def _with_cancel_detail(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` with the ``cancelStatus`` of ``getOrder`` (which lists the cancel
        requests). When eBay refuses the single read the list record goes on as it is: its
        cancel state is already right, only the requests' details are missing."""
        order_id = str(raw.get("orderId") or "")
        if not order_id:
            return raw  # quarantined by to_order
        self.quota.ensure("pull")
        try:
            detail = self.http.get_json(GET_ORDER, _order_path(order_id))
        except RejectedError as exc:
            self.log.warning("ebay.cancel_detail_unavailable", order_id=order_id, error=exc.message)
            return raw
        if isinstance(detail, dict) and isinstance(detail.get("cancelStatus"), dict):
            return {**raw, "cancelStatus": detail["cancelStatus"]}
        return raw

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        return to_draft(raw)

    # -- tracking out --------------------------------------------------------------------

    def create_fulfillment(self, shipment: ShipmentDraft, tracking: str) -> PushResult:
        """``createShippingFulfillment``: not idempotent (no key on eBay), so never re-sent
        after a timeout or a 5xx. ``channel_reference`` is eBay's fulfillment id (from the
        ``Location`` header)."""
        self.quota.ensure("push")
        body = {
            "lineItems": shipped_lines(shipment, "eBay", "lineItemId"),
            "shippedDate": ebay_time(shipment.shipped_at),
            "shippingCarrierCode": shipment.carrier_code.strip(),
            "trackingNumber": tracking,
        }
        path = _order_path(shipment.order_external_id, "shipping_fulfillment")
        response = self.http.send_json(CREATE_FULFILLMENT, "POST", path, json=body)
        location = response.headers.get("location", "")
        return PushResult(
            PushOutcome.APPLIED,
            channel_reference=id_from_location(location, "shipping_fulfillment") or tracking,
            detail={"tracking_number": tracking, "location": location or None},
        )

    def list_fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The order's shipping fulfillments (``getShippingFulfillments``)."""
        self.quota.ensure("push")
        try:
            body = self.http.get_json(
                GET_FULFILLMENTS, _order_path(order_id, "shipping_fulfillment")
            )
        except RejectedError as exc:
            raise RejectedError(
                f"{self.label}, order {order_id}: eBay refused to list the order's "
                f"fulfillments ({exc.message})",
                fix="Check that the order belongs to this eBay account.",
                status=exc.status,
                code=exc.code,
            ) from None
        return records_at("fulfillments", GET_FULFILLMENTS)(body)

    def order_lines(self, order_id: str) -> dict[str, tuple[int, str | None]]:
        """``{line item id: (quantity ordered, SKU)}`` from ``getOrder``; empty when eBay
        refuses the read (the create then goes out and eBay checks the quantities itself)."""
        self.quota.ensure("push")
        try:
            order = self.http.get_json(GET_ORDER, _order_path(order_id))
        except RejectedError as exc:
            self.log.warning("ebay.order_unavailable", order_id=order_id, error=exc.message)
            return {}
        return ordered_lines(order.get("lineItems") if isinstance(order, dict) else None)

    def explain_refusal(self, shipment: ShipmentDraft, exc: RejectedError) -> RejectedError:
        sent = ""
        if exc.code == "32300":
            sent = f"carrier {shipment.carrier_code.strip()!r}, tracking number sent "
            sent += f"{plain_tracking(shipment.tracking_number)!r}; "
        where = f"{self.label}, order {shipment.order_external_id}"
        return explain_rejection(
            exc, where, _PUSH_ERRORS, default=_PUSH_REFUSED, sent=sent, channel="eBay"
        )

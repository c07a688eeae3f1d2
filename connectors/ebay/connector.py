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
    Every request sent to the API is counted per eBay day (:mod:`.quota`); orders in stops
    before it would use the calls kept back for tracking uploads (``daily_reserve``), with a
    :class:`RateLimitedError` that says when the count resets. A 429 (errorId 2001) is
    waited out as the answer allows: its ``Retry-After`` when there is one, else one minute,
    then five, then the connector gives up until the next run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

import httpx

from orderhub.sdk import (
    AuthError,
    Capability,
    Connector,
    ConnectorContext,
    ConnectorError,
    CredentialExpiry,
    OffsetPaginator,
    OrderDraft,
    Page,
    PushOutcome,
    PushResult,
    RateLimit,
    RateLimitedError,
    RefreshTokenAuth,
    RejectedError,
    RetryPolicy,
    ShipmentDraft,
    SyncWindow,
    error_entries,
    read_window,
)

from .mapping import needs_cancel_detail, to_draft
from .quota import DailyQuota
from .settings import SCOPE, EbaySettings, refresh_token_warning

GET_ORDERS = "getOrders"
GET_ORDER = "getOrder"
GET_FULFILLMENTS = "getShippingFulfillments"
CREATE_FULFILLMENT = "createShippingFulfillment"

#: Orders per page: eBay's maximum for ``getOrders`` (a larger limit fails the call).
PAGE_LIMIT = 200
# Waits after a 429 without Retry-After: a throttle that passes is over by then, and a
# used-up daily quota costs only three calls before the run gives up.
_THROTTLE_PAUSES = (60.0, 300.0)
_TRACKING_SEPARATORS = re.compile(r"[\s\-]+")
_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")

REAUTHORISE_FIX = (
    "eBay no longer accepts this account's refresh token (revoked by the seller, expired "
    "after about 18 months, or issued to another keyset or environment). Get a new one: "
    "run eBay's authorization-code grant again with the sell.fulfillment scope "
    "(connectors/ebay/README.md, 'Getting the refresh token'), put it in the variable named "
    "by refresh_token_env, update refresh_token_expires_on and restart the worker."
)

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


def ebay_time(value: datetime) -> str:
    """eBay's timestamp format, ``YYYY-MM-DDThh:mm:ss.sssZ`` (UTC, milliseconds)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    moment = value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def encode_filter(value: str) -> str:
    """A ``filter`` value encoded as eBay requires: ``[ ] { | }`` (and anything else
    outside the plain URL characters) percent-encoded; ``:``, ``,`` and ``..`` as they are."""
    return quote(value, safe=":,")


def orders_query(start: datetime, end: datetime, *, limit: int, offset: int) -> str:
    """The query string of one ``getOrders`` page for orders modified in ``[start, end]``."""
    criterion = f"lastmodifieddate:[{ebay_time(start)}..{ebay_time(end)}]"
    return f"filter={encode_filter(criterion)}&limit={limit}&offset={offset}"


def normalise_tracking_number(value: str) -> str:
    """The tracking number without spaces and dashes (eBay accepts letters and digits only).
    Raises ValueError when something else is left."""
    cleaned = _TRACKING_SEPARATORS.sub("", value or "")
    if not cleaned:
        raise ValueError("the tracking number is empty")
    if not _ALPHANUMERIC.match(cleaned):
        raise ValueError(
            "the tracking number contains characters other than letters and digits "
            "(eBay accepts only those; spaces and dashes are removed for you)"
        )
    return cleaned


def _error_ids(response: httpx.Response) -> list[int]:
    return [e["errorId"] for e in error_entries(response) if isinstance(e.get("errorId"), int)]


def _token_expired(response: httpx.Response) -> bool:
    """eBay's answer to an expired or unknown access token: 401 with errorId 1001."""
    return response.status_code == 401 and 1001 in _error_ids(response)


def _in(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


class _OrderPages(OffsetPaginator):
    """Offset paging of ``getOrders`` with the query string written by hand (see the module
    docstring): the offsets move as usual, the URL carries them."""

    def __init__(self, window: SyncWindow) -> None:
        super().__init__(limit=PAGE_LIMIT)
        self._window = window
        self._params: dict[str, Any] = {}

    def _url(self) -> str:
        limit, offset = int(self._params["limit"]), int(self._params["offset"])
        query = orders_query(self._window.start, self._window.end, limit=limit, offset=offset)
        return f"order?{query}"

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        _, self._params = super().first({})
        return self._url(), {}

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        following = super().next(replace(page, params=self._params))
        if following is None:
            return None
        self._params = following[1]
        return self._url(), {}

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        return f"offset {self._params.get('offset')}"


class EbayConnector(Connector[EbaySettings]):
    """Pulls an eBay seller's orders and uploads tracking numbers (Sell Fulfillment API v1,
    OAuth user token renewed from the seller's refresh token)."""

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

    def __init__(self, context: ConnectorContext[EbaySettings]) -> None:
        super().__init__(context)
        self.quota = DailyQuota(
            limit=self.settings.daily_call_limit,
            reserve=self.settings.daily_reserve,
            clock=self.clock,
            account_id=self.account_id,
        )
        self._throttle_streak = 0

    # -- hooks ---------------------------------------------------------------------------

    def base_url(self) -> str:
        return self.settings.resolved_api_base_url

    def auth(self) -> httpx.Auth:
        return RefreshTokenAuth(
            # Every API request counts against the daily quota; token requests do not.
            on_send=lambda request: self.quota.record(),
            label=f"eBay account {self.account_id}: ",
            token_url=self.settings.resolved_token_url,
            refresh_token=self.settings.refresh_token.get_secret_value(),
            client_id=self.settings.client_id.get_secret_value(),
            client_secret=self.settings.client_secret.get_secret_value(),
            clock=self.context.clock,
            scope=SCOPE,
            client_auth="basic",
            expired=_token_expired,
            reauthorise_fix=REAUTHORISE_FIX,
        )

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        status = response.status_code
        if status != 429:
            self._throttle_streak = 0
        if status == 429:
            return self._throttled(response)
        where = f"{response.request.method} {response.request.url.path}"
        if status == 401:
            return AuthError(
                f"eBay account {self.account_id}: {where} answered HTTP 401 "
                f"(errorIds {_error_ids(response) or 'none'}): eBay refuses the access token "
                "even after renewing it",
                fix=(
                    "Check that client_id, client_secret and the refresh token all belong to "
                    "the same keyset and to the configured environment (production or "
                    "sandbox). " + REAUTHORISE_FIX
                ),
                status=status,
            )
        if status == 403:
            return AuthError(
                f"eBay account {self.account_id}: {where} answered HTTP 403 "
                f"(errorIds {_error_ids(response) or 'none'}): the token lacks permission",
                fix=(
                    "The seller's consent must include the sell.fulfillment scope (the "
                    "read-only scope cannot upload tracking). " + REAUTHORISE_FIX
                ),
                status=status,
            )
        return None

    def _throttled(self, response: httpx.Response) -> RateLimitedError:
        self._throttle_streak += 1
        ids = _error_ids(response)
        where = f"{response.request.method} {response.request.url.path}"
        now = self.clock.now()
        reset = self.quota.resets_at()
        retry_after: float | None
        if "retry-after" in response.headers:
            retry_after = None  # the HTTP helper reads and honours the header
        elif self._throttle_streak <= len(_THROTTLE_PAUSES):
            retry_after = _THROTTLE_PAUSES[self._throttle_streak - 1]
        else:
            # Still refused after the pauses: eBay's day quota is used up. Waiting until the
            # reset is what eBay allows; the HTTP helper gives up at once when that is far.
            retry_after = max(1.0, (reset - now).total_seconds())
        reason = (
            "errorId 2001, the request limit has been reached"
            if 2001 in ids
            else (f"errorIds {ids or 'none'}")
        )
        return RateLimitedError(
            f"eBay account {self.account_id}: {where} answered HTTP 429 ({reason}); orderhub "
            f"counted {self.quota.used()} of {self.quota.limit} calls today, and eBay's day "
            f"resets at {reset:%Y-%m-%d %H:%M} UTC (midnight US Pacific time, in "
            f"{_in((reset - now).total_seconds())})",
            fix=(
                "Nothing is lost: orderhub waits and tries again, then the next run goes on. "
                "If it persists, another application may be using this keyset's daily quota, "
                "or eBay's limit is lower than daily_call_limit: raise it with eBay's "
                "Application Growth Check, or poll less often."
            ),
            status=429,
            code="2001" if 2001 in ids else None,
            retry_after=retry_after,
        )

    # -- status --------------------------------------------------------------------------

    def attention(self, now: datetime) -> str | None:
        """A warning for ``orderhub status`` when the refresh token expires within 30 days
        (per ``refresh_token_expires_on``), else None."""
        return refresh_token_warning(
            self.settings.refresh_token_expires_on, now, account_id=self.account_id
        )

    @classmethod
    def settings_attention(
        cls, settings: Mapping[str, Any] | EbaySettings, now: datetime, account_id: str
    ) -> str | None:
        """:meth:`attention` without building a connector: ``settings`` may be the raw
        settings table of the configuration (secrets need not be set)."""
        if isinstance(settings, EbaySettings):
            expires = settings.refresh_token_expires_on
        else:
            value = settings.get("refresh_token_expires_on")
            try:
                expires = EbaySettings.model_validate(
                    {
                        "client_id": "-",
                        "client_secret": "-",
                        "refresh_token": "-",
                        "refresh_token_expires_on": value,
                    }
                ).refresh_token_expires_on
            except ValueError:
                return None  # config check reports the bad date
        return refresh_token_warning(expires, now, account_id=account_id)

    @classmethod
    def credentials_expiry(
        cls, settings: Mapping[str, Any] | EbaySettings
    ) -> CredentialExpiry | None:
        """The refresh token's end of life, from ``refresh_token_expires_on``."""
        if isinstance(settings, EbaySettings):
            expires = settings.refresh_token_expires_on
        else:
            try:
                expires = EbaySettings.model_validate(
                    {
                        "client_id": "-",
                        "client_secret": "-",
                        "refresh_token": "-",
                        "refresh_token_expires_on": settings.get("refresh_token_expires_on"),
                    }
                ).refresh_token_expires_on
            except ValueError:
                return None
        if expires is None:
            return None
        return CredentialExpiry(
            expires_on=expires,
            what="the eBay refresh token",
            fix=(
                "Get a new refresh token with the authorization-code grant (connectors/ebay/"
                "README.md, 'Getting the refresh token'), put it in the variable named by "
                "refresh_token_env, update refresh_token_expires_on and restart the worker."
            ),
        )

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
            paginator=lambda: _OrderPages(window),
            records="orders",
            total_path="total",
            record_id="orderId",
            before_page=lambda: self.quota.ensure("pull"),
            log=self.log,
            label=f"eBay account {self.account_id}: ",
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
            detail = self.http.get_json(GET_ORDER, f"order/{quote(order_id, safe='')}")
        except RejectedError as exc:
            self.log.warning("ebay.cancel_detail_unavailable", order_id=order_id, error=exc.message)
            return raw
        if isinstance(detail, dict) and isinstance(detail.get("cancelStatus"), dict):
            return {**raw, "cancelStatus": detail["cancelStatus"]}
        return raw

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        return to_draft(raw)

    # -- tracking out --------------------------------------------------------------------

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        """Create a shipping fulfillment for ``shipment`` unless the order already has one
        with the same tracking number (then ``ALREADY_APPLIED``). ``channel_reference`` is
        eBay's fulfillment id (from the ``Location`` header).

        Raises ``RejectedError`` without sending when a line asks for more units than eBay
        still has unshipped because other fulfillments (entered in Seller Hub, or eBay's own)
        already cover them."""
        order_id = shipment.order_external_id
        body = self._fulfillment_body(shipment)
        tracking = str(body["trackingNumber"])

        fulfillments = self._fulfillments(order_id)
        existing = _with_tracking(fulfillments, tracking)
        if existing is not None:
            return PushResult(
                PushOutcome.ALREADY_APPLIED,
                channel_reference=str(existing.get("fulfillmentId") or tracking),
                detail={"tracking_number": tracking, "line_items": existing.get("lineItems")},
            )
        self._refuse_units_shipped_elsewhere(order_id, shipment, fulfillments)

        self.quota.ensure("push")
        path = f"order/{quote(order_id, safe='')}/shipping_fulfillment"
        try:
            # Not idempotent (no key on eBay): never re-sent after a timeout or a 5xx.
            response = self.http.send_json(CREATE_FULFILLMENT, "POST", path, json=body)
        except RejectedError as exc:
            if exc.status == 409:
                # A conflict may mean a concurrent or earlier create went through.
                again = self._find_fulfillment(order_id, tracking)
                if again is not None:
                    return PushResult(
                        PushOutcome.ALREADY_APPLIED,
                        channel_reference=str(again.get("fulfillmentId") or tracking),
                        detail={"tracking_number": tracking, "after": "409 Conflict"},
                    )
            raise self._push_rejected(order_id, shipment, exc) from None
        location = response.headers.get("location", "")
        fulfillment_id = _fulfillment_id(location) or tracking
        return PushResult(
            PushOutcome.APPLIED,
            channel_reference=fulfillment_id,
            detail={"tracking_number": tracking, "location": location or None},
        )

    def _fulfillment_body(self, shipment: ShipmentDraft) -> dict[str, Any]:
        order_id = shipment.order_external_id
        try:
            tracking = normalise_tracking_number(shipment.tracking_number)
        except ValueError as exc:
            raise RejectedError(
                f"eBay account {self.account_id}, order {order_id}: {exc}; not sent",
                fix="Correct the shipment's tracking number (letters and digits only) and "
                "queue it again.",
                code="tracking_number",
            ) from None
        carrier = (shipment.carrier_code or "").strip()
        if not carrier:
            raise RejectedError(
                f"eBay account {self.account_id}, order {order_id}: the shipment has no "
                "carrier code; eBay needs one with every tracking number; not sent",
                fix="Set the shipment's carrier (an eBay carrier code such as USPS, UPS, FedEx) "
                "and queue it again.",
                code="carrier",
            )
        if not shipment.lines:
            raise RejectedError(
                f"eBay account {self.account_id}, order {order_id}: the shipment lists no "
                "line items; not sent",
                fix="Add the shipped lines (eBay line item ids and quantities) to the shipment.",
                code="lines",
            )
        for line in shipment.lines:
            if line.quantity < 1:
                raise RejectedError(
                    f"eBay account {self.account_id}, order {order_id}: line "
                    f"{line.line_external_id} has quantity {line.quantity}; not sent",
                    fix="Ship at least one unit of every line listed in the shipment.",
                    code="lines",
                )
        return {
            "lineItems": [
                {"lineItemId": line.line_external_id, "quantity": line.quantity}
                for line in shipment.lines
            ],
            "shippedDate": ebay_time(shipment.shipped_at),
            "shippingCarrierCode": carrier,
            "trackingNumber": tracking,
        }

    def _fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The order's shipping fulfillments (``getShippingFulfillments``)."""
        self.quota.ensure("push")
        path = f"order/{quote(order_id, safe='')}/shipping_fulfillment"
        try:
            body = self.http.get_json(GET_FULFILLMENTS, path)
        except RejectedError as exc:
            raise RejectedError(
                f"eBay account {self.account_id}, order {order_id}: eBay refused to list the "
                f"order's fulfillments ({exc.message})",
                fix="Check that the order belongs to this eBay account.",
                status=exc.status,
                code=exc.code,
            ) from None
        fulfillments = body.get("fulfillments") if isinstance(body, dict) else None
        if not isinstance(fulfillments, list):
            return []
        return [item for item in fulfillments if isinstance(item, dict)]

    def _find_fulfillment(self, order_id: str, tracking: str) -> dict[str, Any] | None:
        """The order's fulfillment with ``tracking`` (compared without case, spaces and
        dashes), or None."""
        return _with_tracking(self._fulfillments(order_id), tracking)

    def _refuse_units_shipped_elsewhere(
        self, order_id: str, shipment: ShipmentDraft, fulfillments: list[dict[str, Any]]
    ) -> None:
        """Raise ``RejectedError`` when a line of ``shipment`` asks for more units than eBay
        still has unshipped. eBay would only answer 400 with errorId 32600 "Invalid input
        data"; the seller needs to hear that the units already went out under other tracking
        numbers. Costs one ``getOrder`` call, and only when a line of the shipment already
        appears in a fulfillment."""
        shipped = _units_shipped(fulfillments)
        asked = [line for line in shipment.lines if line.line_external_id in shipped]
        if not asked:
            return
        ordered = self._ordered_lines(order_id)
        problems = []
        for line in asked:
            found = ordered.get(line.line_external_id)
            if found is None:
                continue  # not a line of this order: eBay refuses it with 32200, named
            quantity, sku = found
            done, numbers = shipped[line.line_external_id]
            left = max(0, quantity - done)
            if line.quantity <= left:
                continue
            what = f"line item {line.line_external_id}" + (f" (SKU {sku})" if sku else "")
            under = ", ".join(numbers) if numbers else "no tracking number"
            problems.append(
                f"{what}: this shipment sends {line.quantity} unit(s), but eBay already shows "
                f"{done} of its {quantity} unit(s) shipped (tracking {under}), so only {left} "
                "can still ship"
            )
        if problems:
            raise RejectedError(
                f"eBay account {self.account_id}, order {order_id}: {'; '.join(problems)}. "
                "Those units were shipped by another route (Seller Hub, another tool or eBay "
                "itself), so eBay would refuse this shipment; not sent",
                fix=(
                    "Check the order in Seller Hub. If those units really went out, withdraw "
                    "this shipment (`orderhub shipments cancel ID`) and record what is still "
                    "unshipped; if eBay's record is wrong, correct the fulfillment in Seller "
                    "Hub first, then queue the push again (`orderhub pushes retry`)."
                ),
                code="already_shipped",
            )

    def _ordered_lines(self, order_id: str) -> dict[str, tuple[int, str | None]]:
        """``{line item id: (quantity ordered, SKU)}`` from ``getOrder``; empty when eBay
        refuses the read (the create then goes out and eBay checks the quantities itself)."""
        self.quota.ensure("push")
        try:
            order = self.http.get_json(GET_ORDER, f"order/{quote(order_id, safe='')}")
        except RejectedError as exc:
            self.log.warning("ebay.order_unavailable", order_id=order_id, error=exc.message)
            return {}
        items = order.get("lineItems") if isinstance(order, dict) else None
        lines: dict[str, tuple[int, str | None]] = {}
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            line_id, quantity, sku = item.get("lineItemId"), item.get("quantity"), item.get("sku")
            if isinstance(line_id, str) and isinstance(quantity, int):
                lines[line_id] = (quantity, sku if isinstance(sku, str) and sku else None)
        return lines

    def _push_rejected(
        self, order_id: str, shipment: ShipmentDraft, exc: RejectedError
    ) -> RejectedError:
        reason, fix = _PUSH_ERRORS.get(
            exc.code or "",
            (
                "eBay refused the fulfillment",
                "Read eBay's answer in the log, correct the shipment and queue it again.",
            ),
        )
        sent = ""
        if exc.code == "32300":
            sent = f"carrier {shipment.carrier_code.strip()!r}, tracking number sent "
            sent += f"{_TRACKING_SEPARATORS.sub('', shipment.tracking_number)!r}; "
        return RejectedError(
            f"eBay account {self.account_id}, order {order_id}: {reason} ({sent}eBay "
            f"answered: {exc.message})",
            fix=fix,
            status=exc.status,
            code=exc.code,
        )


def _with_tracking(fulfillments: list[dict[str, Any]], tracking: str) -> dict[str, Any] | None:
    """The fulfillment whose tracking number (or id) is ``tracking``, compared without case,
    spaces and dashes; None when there is none."""
    wanted = tracking.upper()
    for item in fulfillments:
        for number in (item.get("shipmentTrackingNumber"), item.get("fulfillmentId")):
            if isinstance(number, str) and _TRACKING_SEPARATORS.sub("", number).upper() == wanted:
                return item
    return None


def _units_shipped(fulfillments: list[dict[str, Any]]) -> dict[str, tuple[int, list[str]]]:
    """``{line item id: (units shipped, tracking numbers)}`` over every fulfillment."""
    shipped: dict[str, tuple[int, list[str]]] = {}
    for item in fulfillments:
        number = item.get("shipmentTrackingNumber") or item.get("fulfillmentId")
        references = item.get("lineItems")
        for reference in references if isinstance(references, list) else []:
            if not isinstance(reference, dict):
                continue
            line_id, quantity = reference.get("lineItemId"), reference.get("quantity")
            if not isinstance(line_id, str) or isinstance(quantity, bool):
                continue
            if not isinstance(quantity, int) or quantity < 1:
                continue
            done, numbers = shipped.get(line_id, (0, []))
            if isinstance(number, str) and number not in numbers:
                numbers = [*numbers, number]
            shipped[line_id] = (done + quantity, numbers)
    return shipped


def _fulfillment_id(location: str) -> str | None:
    """The last path segment of ``.../order/{orderId}/shipping_fulfillment/{fulfillmentId}``."""
    if not location:
        return None
    path = urlsplit(location).path.rstrip("/")
    head, _, last = path.rpartition("/")
    if not last or not head.endswith("/shipping_fulfillment"):
        return None
    return unquote(last)

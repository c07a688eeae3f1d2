"""The simulated Selling Partner API's order routes: ``searchOrders``, ``getOrder`` and the v0
``getOrders``/``getOrderItems``, with Amazon's parameter rules and frozen, token-paged
searches. :class:`SimulatedAmazon` is the whole simulator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderhub.sims.amazon.generation import AmazonGeneration
from orderhub.sims.amazon.records import (
    _TOKEN_LIFETIME,
    _TWO_MINUTES,
    _V0_STATUS_BACK,
    ALL_DATASETS,
    FULFILLMENT_STATUSES,
    MARKETPLACES,
    SEARCH_PATH,
    V0_PATH,
    AmazonOrderRecord,
    _by_created,
    _parse_date_time,
)
from orderhub.sims.amazon.sandbox import _csv
from orderhub.sims.common import utc_seconds as _iso
from orderhub.testing.sim import (
    InvalidTokenError,
    SimRequest,
    SimResponse,
    TokenPager,
    route,
    whole_seconds,
)


@dataclass(frozen=True)
class _Search:
    """The normalised filters of a search (the cache and page-token key)."""

    by_update: bool
    after: datetime
    before: datetime
    marketplaces: frozenset[str]
    statuses: frozenset[str] | None
    fulfilled_by: frozenset[str] | None

    def context(self) -> str:
        return "|".join(
            (
                "u" if self.by_update else "c",
                _iso(self.after),
                _iso(self.before),
                ",".join(sorted(self.marketplaces)),
                ",".join(sorted(self.statuses or ())),
                ",".join(sorted(self.fulfilled_by or ())),
            )
        )


class SimulatedAmazon(AmazonGeneration):
    """One seller's Selling Partner API (see the module docstring for the routes).

    ``client_id``/``client_secret`` are the app's LWA credentials and ``refresh_token`` the
    seller's authorisation. ``marketplace_ids`` are the marketplaces the seller sells in
    (a search naming another one is refused). ``seed`` makes generated orders reproducible.
    ``enforce_rate_limits`` enforces :data:`USAGE_PLANS` (change one with
    ``sim.rate_limits.set(operation, RateLimit(...))``: ``x-amzn-RateLimit-Limit`` follows).
    ``serve_sandbox_examples`` answers requests that match a static sandbox example of the
    models with that example.

    Test helpers: :meth:`add_order`, :meth:`add_malformed_order`, :meth:`generate`,
    :meth:`set_status`, :meth:`cancel_order`, :meth:`order`, :meth:`record`,
    :meth:`packages`, :meth:`revoke`, :meth:`expire_tokens`, :meth:`repeat_next_token`,
    :meth:`start_live`. All are thread-safe.
    """

    # -- searchOrders ------------------------------------------------------------------------

    @route("GET", SEARCH_PATH, operation="searchOrders")
    def search_orders(self, request: SimRequest) -> SimResponse:
        """``GET /orders/2026-01-01/orders``."""
        example = self._sandbox(request, "searchOrders")
        if example is not None:
            return example
        parsed = self._parse_search(request, v0=False)
        if isinstance(parsed, SimResponse):
            return parsed
        search, size, included = parsed
        token = request.param("paginationToken")
        page = self._page(self._pager, search, token, size, "searchOrders")
        if isinstance(page, SimResponse):
            return page
        records, next_token = page
        body: dict[str, Any] = {
            "orders": [self._render(record, included) for record in records],
        }
        if next_token is not None:
            body["pagination"] = {"nextToken": next_token}
        body["lastUpdatedBefore" if search.by_update else "createdBefore"] = _iso(search.before)
        return self._reply("searchOrders", 200, body)

    def _parse_search(
        self, request: SimRequest, *, v0: bool
    ) -> SimResponse | tuple[_Search, int, frozenset[str]]:
        operation = "getOrders" if v0 else "searchOrders"
        names = (
            ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
            if v0
            else ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        )
        dates: dict[str, datetime | None] = {}
        for name in names:
            raw = request.param(name)
            if raw is None:
                dates[name] = None
                continue
            value = _parse_date_time(raw)
            if value is None:
                return self._invalid(
                    operation, f"Invalid {name}: {raw[:40]!r} is not an ISO 8601 date-time."
                )
            dates[name] = value
        created_after, created_before, updated_after, updated_before = (dates[n] for n in names)
        if (created_after is None) == (updated_after is None):
            return self._invalid(
                operation, f"Exactly one of {names[0]} and {names[2]} must be provided."
            )
        created_family = created_after is not None or created_before is not None
        updated_family = updated_after is not None or updated_before is not None
        if created_family and updated_family:
            return self._invalid(
                operation,
                f"{names[0]}/{names[1]} cannot be combined with {names[2]}/{names[3]}.",
            )
        by_update = updated_after is not None
        after = updated_after if by_update else created_after
        before = updated_before if by_update else created_before
        before_name = names[3] if by_update else names[1]
        after_name = names[2] if by_update else names[0]
        now = self.clock.now()
        latest = now - _TWO_MINUTES
        if before is None:
            before = whole_seconds(latest)
        elif before > latest:
            return self._invalid(
                operation,
                f"{before_name} must be at least 2 minutes before the time of the request.",
            )
        assert after is not None
        if after > before:
            return self._invalid(operation, f"{after_name} must not be after {before_name}.")

        marketplaces_param = "MarketplaceIds" if v0 else "marketplaceIds"
        marketplaces = _csv(request, marketplaces_param)
        if marketplaces is None:
            if v0:
                return self._invalid(operation, "MarketplaceIds is required.")
            marketplaces = list(self.marketplace_ids)
        if not marketplaces or len(marketplaces) > 50:
            return self._invalid(operation, f"{marketplaces_param} must list 1 to 50 ids.")
        for marketplace in marketplaces:
            if marketplace not in MARKETPLACES:
                return self._invalid(operation, f"Invalid marketplaceId: {marketplace[:40]}.")
            if marketplace not in self.marketplace_ids:
                return self._invalid(
                    operation, f"The seller is not registered in marketplace {marketplace}."
                )

        statuses: frozenset[str] | None = None
        status_name = "OrderStatuses" if v0 else "fulfillmentStatuses"
        raw_statuses = _csv(request, status_name)
        if raw_statuses:
            allowed = _V0_STATUS_BACK if v0 else {s: s for s in FULFILLMENT_STATUSES}
            for status in raw_statuses:
                if status not in allowed:
                    return self._invalid(operation, f"Invalid {status_name} value: {status[:40]}.")
            statuses = frozenset(allowed[v] for v in raw_statuses)
        channels: frozenset[str] | None = None
        channel_name = "FulfillmentChannels" if v0 else "fulfilledBy"
        raw_channels = _csv(request, channel_name)
        if raw_channels:
            mapping = {"MFN": "MERCHANT", "AFN": "AMAZON"} if v0 else {"MERCHANT": "MERCHANT",
                       "AMAZON": "AMAZON"}  # fmt: skip
            for channel in raw_channels:
                if channel not in mapping:
                    return self._invalid(
                        operation, f"Invalid {channel_name} value: {channel[:40]}."
                    )
            channels = frozenset(mapping[v] for v in raw_channels)

        size_name = "MaxResultsPerPage" if v0 else "maxResultsPerPage"
        size_text = request.param(size_name)
        size = 100
        if size_text is not None:
            if not re.fullmatch(r"-?\d+", size_text.strip()):
                return self._invalid(operation, f"{size_name} must be an integer.")
            size = int(size_text)
            if not 1 <= size <= 100:
                return self._invalid(operation, f"{size_name} must be between 1 and 100.")

        included: frozenset[str] = frozenset()
        if not v0:
            raw_included = _csv(request, "includedData") or []
            for dataset in raw_included:
                if dataset not in ALL_DATASETS:
                    return self._invalid(operation, f"Invalid includedData value: {dataset[:40]}.")
            included = frozenset(raw_included)
        search = _Search(
            by_update=by_update,
            after=after,
            before=before,
            marketplaces=frozenset(marketplaces),
            statuses=statuses,
            fulfilled_by=channels,
        )
        return search, size, included

    def _matching(self, search: _Search) -> list[AmazonOrderRecord]:
        def keep(record: AmazonOrderRecord) -> bool:
            moment = record.modified if search.by_update else record.created
            if not search.after <= moment <= search.before:  # "at or after", "at or before"
                return False
            if record.marketplace_id not in search.marketplaces:
                return False
            if search.statuses is not None and record.status not in search.statuses:
                return False
            return search.fulfilled_by is None or record.fulfilled_by in search.fulfilled_by

        return self.store.query(search, keep, _by_created)

    def _page(
        self,
        pager: TokenPager,
        search: _Search,
        token: str | None,
        size: int,
        operation: str,
    ) -> SimResponse | tuple[list[AmazonOrderRecord], str | None]:
        """One page of a search. The result is frozen when the first page is served, so
        orders that change while a client pages neither shift nor repeat the others."""
        context = f"{pager is self._v0_pager}|{search.context()}"
        with self._helper_lock:
            if token is not None:
                issued = self._token_issued.get(token)
                if issued is not None and self.clock.now() - issued > _TOKEN_LIFETIME:
                    return self._invalid(operation, "The pagination token has expired.")
            ids = self._snapshots.get(context) if token is not None else None
            if ids is None:
                ids = [record.id for record in self._matching(search)]
                self._snapshots[context] = ids
                while len(self._snapshots) > 32:
                    self._snapshots.popitem(last=False)
            self._snapshots.move_to_end(context)
            try:
                page = pager.page(ids, token, size, context)
            except InvalidTokenError:
                name = "NextToken" if pager is self._v0_pager else "paginationToken"
                return self._invalid(operation, f"Invalid {name}.")
            if page.next_token is not None:
                self._token_issued[page.next_token] = self.clock.now()
                while len(self._token_issued) > 10_000:
                    self._token_issued.popitem(last=False)
        records = [r for r in (self.store.get(i) for i in page.items) if r is not None]
        return records, page.next_token

    # -- getOrder ----------------------------------------------------------------------------

    @route("GET", SEARCH_PATH + "/{orderId}", operation="getOrder")
    def get_order(self, request: SimRequest) -> SimResponse:
        """``GET /orders/2026-01-01/orders/{orderId}``."""
        example = self._sandbox(request, "getOrder")
        if example is not None:
            return example
        included = _csv(request, "includedData") or []
        for value in included:
            if value not in ALL_DATASETS:
                return self._invalid("getOrder", f"Invalid includedData value: {value[:40]}.")
        record = self._lookup(request.path_params["orderId"])
        if record is None:
            return self._not_found("getOrder")
        return self._reply("getOrder", 200, {"order": self._render(record, frozenset(included))})

    # -- Orders v0 (for comparisons) ---------------------------------------------------------

    @route("GET", V0_PATH, operation="getOrders")
    def get_orders_v0(self, request: SimRequest) -> SimResponse:
        """``GET /orders/v0/orders`` (no buyer or address data: those need an RDT)."""
        example = self._sandbox(request, "getOrders")
        if example is not None:
            return example
        parsed = self._parse_search(request, v0=True)
        if isinstance(parsed, SimResponse):
            return parsed
        search, size, _ = parsed
        page = self._page(self._v0_pager, search, request.param("NextToken"), size, "getOrders")
        if isinstance(page, SimResponse):
            return page
        records, next_token = page
        payload: dict[str, Any] = {"Orders": [self._render_v0(r) for r in records]}
        if next_token is not None:
            payload["NextToken"] = next_token
        payload["LastUpdatedBefore" if search.by_update else "CreatedBefore"] = _iso(search.before)
        return self._reply("getOrders", 200, {"payload": payload})

    @route("GET", V0_PATH + "/{orderId}/orderItems", operation="getOrderItems")
    def get_order_items_v0(self, request: SimRequest) -> SimResponse:
        """``GET /orders/v0/orders/{orderId}/orderItems`` (all items on one page)."""
        example = self._sandbox(request, "getOrderItems")
        if example is not None:
            return example
        record = self._lookup(request.path_params["orderId"])
        if record is None:
            return self._not_found("getOrderItems")
        pending = record.status in ("PENDING", "PENDING_AVAILABILITY")
        items = []
        for item in record.items:
            entry: dict[str, Any] = {
                "ASIN": item.asin,
                "OrderItemId": item.order_item_id,
                "Title": item.title,
                "QuantityOrdered": item.quantity,
                "QuantityShipped": item.shipped,
                "IsGift": "false",
                "ConditionId": "New",
            }
            if item.sku is not None:
                entry["SellerSKU"] = item.sku
            if not pending:  # no pricing while an order is Pending (ordersV0.json)
                entry["ItemPrice"] = self._money_v0(item.unit_price * item.quantity, record)
                entry["ItemTax"] = self._money_v0(self._item_tax(record, item), record)
            items.append(entry)
        payload = {"AmazonOrderId": record.order_id, "OrderItems": items}
        return self._reply("getOrderItems", 200, {"payload": payload})

    def repeat_next_token(self, times: int = 1) -> None:
        """Make the next ``times`` pages requested with a ``paginationToken`` answer that same
        token again (a pagination loop, for loop-detection tests)."""
        self._pager.repeat_next_token(times)

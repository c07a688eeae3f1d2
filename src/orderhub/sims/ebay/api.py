"""The simulated eBay's order routes: ``getOrders`` with eBay's ``filter`` grammar, limits,
offsets and ``orderIds``, and ``getOrder``. :class:`SimulatedEbay` is the whole simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from orderhub.sims.ebay.base import _UNENCODED, _raw_param
from orderhub.sims.ebay.errors import _errors, _FilterError, ebay_error
from orderhub.sims.ebay.generation import EbayGeneration
from orderhub.sims.ebay.records import API_PATH, EbayOrderRecord, _by_created, _parse_ts
from orderhub.testing.sim import SimRequest, SimResponse, offset_slice, route

_STATUS_FILTERS = {
    "{NOT_STARTED|IN_PROGRESS}": frozenset({"NOT_STARTED", "IN_PROGRESS"}),
    "{FULFILLED|IN_PROGRESS}": frozenset({"FULFILLED", "IN_PROGRESS"}),
}


_MAX_ORDER_IDS = 50


_DEFAULT_LIMIT = 50


_MAX_LIMIT = 200


_DEFAULT_WINDOW = timedelta(days=90)


_MAX_RANGE_YEARS = 2


@dataclass(frozen=True)
class _Criteria:
    """A parsed ``filter`` (the cache key of the store)."""

    created: tuple[datetime, datetime | None] | None
    modified: tuple[datetime, datetime | None] | None
    statuses: frozenset[str] | None


def _split_criteria(value: str) -> list[str]:
    """Split ``filter`` at the commas that are not inside brackets or braces."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in value:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


class SimulatedEbay(EbayGeneration):
    """eBay's Sell Fulfillment API (``order`` resource) and OAuth token endpoint for one
    seller.

    ``client_id``/``client_secret`` are the application keyset, ``refresh_token`` the
    seller's consent (for ``sell.fulfillment`` and its read-only variant). ``daily_limit``
    is the ``order`` resource's daily call limit. ``seed`` makes generated orders
    reproducible.

    Test helpers: :meth:`add_order`, :meth:`generate`, :meth:`add_malformed_order`,
    :meth:`order`, :meth:`fulfillments`, :meth:`ship`, :meth:`request_cancel`,
    :meth:`approve_cancel`, :meth:`reject_cancel`, :meth:`cancel`, :meth:`mark_paid`,
    :meth:`refund`, :meth:`revoke_refresh_token`, :meth:`calls_today`, :meth:`use_calls`,
    :meth:`exhaust_quota`, :meth:`raw_query`, :meth:`start_live`. All are thread-safe.
    """

    # -- getOrders -------------------------------------------------------------------------------

    @route("GET", API_PATH + "/order", operation="getOrders")
    def get_orders(self, request: SimRequest) -> SimResponse:
        """``GET /order``."""
        field_groups = request.param("fieldGroups")
        if field_groups is not None and field_groups != "TAX_BREAKDOWN":
            return self._bad(
                32800,
                "Invalid field group",
                f"Invalid field group: {field_groups}",
                {"fieldGroup": field_groups},
            )
        order_ids = request.param("orderIds")
        if order_ids is not None:
            return self._orders_by_id(request, order_ids)
        limit_text = request.param("limit")
        limit = _DEFAULT_LIMIT
        if limit_text is not None:
            if not limit_text.isdigit() or not 1 <= int(limit_text) <= _MAX_LIMIT:
                return self._bad(
                    31100,
                    "Invalid limit",
                    f"Invalid limit: {limit_text}",
                    {"limitvalue": limit_text},
                )
            limit = int(limit_text)
        offset_text = request.param("offset")
        offset = 0
        if offset_text is not None:
            if not offset_text.isdigit():
                return self._bad(
                    31000,
                    "Invalid offset",
                    f"Invalid offset: {offset_text}",
                    {"offsetvalue": offset_text},
                )
            offset = int(offset_text)
        raw_query = request.context.get("raw_query")
        if self.strict_filter_encoding and isinstance(raw_query, str):
            raw_filter = _raw_param(raw_query, "filter")
            if raw_filter is not None and _UNENCODED.search(raw_filter):
                return self._bad(
                    30800,
                    "Invalid filter value",
                    "Invalid filter value: the characters [ ] { | } in filter must be URL "
                    "encoded (%5B %5D %7B %7C %7D).",
                    {"fieldvalue": raw_filter[:60]},
                )
        try:
            criteria = self._parse_filter(request.param("filter"))
        except _FilterError as exc:
            return _errors(400, exc.error)
        matches = self.store.query(criteria, lambda r: self._keep(r, criteria), _by_created)
        page = offset_slice(matches, offset, limit)
        base = f"{request.base_url}{API_PATH}/order"
        raw_filter_value = request.param("filter")

        def link(at: int) -> str:
            parts = []
            if raw_filter_value is not None:
                parts.append("filter=" + quote(raw_filter_value, safe=":,"))
            parts += [f"limit={limit}", f"offset={at}"]
            return f"{base}?{'&'.join(parts)}"

        body: dict[str, Any] = {
            "href": link(offset),
            "total": page.total,
            "limit": limit,
            "offset": offset,
            "orders": [self._render(r, request.base_url, listing=True) for r in page.items],
        }
        if page.next_offset is not None:
            body["next"] = link(page.next_offset)
        if page.prev_offset is not None and page.total > 0:
            body["prev"] = link(page.prev_offset)
        return SimResponse.json(200, body)

    def _orders_by_id(self, request: SimRequest, order_ids: str) -> SimResponse:
        wanted = [part.strip() for part in order_ids.split(",") if part.strip()]
        if len(wanted) > _MAX_ORDER_IDS:
            return self._bad(
                30900,
                "Exceeded maximum number of order IDs",
                "Exceeded maximum number of order IDs (the current limit is 50)",
            )
        found = [self.store.get(self._by_order_id[i]) for i in wanted if i in self._by_order_id]
        orders = [self._render(r, request.base_url, listing=True) for r in found if r is not None]
        return SimResponse.json(
            200,
            {
                "href": f"{request.base_url}{API_PATH}/order?orderIds={quote(order_ids, safe=',')}",
                "total": len(orders),
                "limit": _DEFAULT_LIMIT,
                "offset": 0,
                "orders": orders,
            },
        )

    def _parse_filter(self, value: str | None) -> _Criteria:
        now = self.clock.now()
        if value is None or not value.strip():
            return _Criteria(created=(now - _DEFAULT_WINDOW, None), modified=None, statuses=None)
        created = modified = None
        statuses: frozenset[str] | None = None
        for criterion in _split_criteria(value):
            name, sep, rest = criterion.partition(":")
            name = name.strip()
            if not sep or name not in (
                "creationdate",
                "lastmodifieddate",
                "orderfulfillmentstatus",
            ):
                raise _FilterError(
                    ebay_error(
                        30700,
                        "Invalid filter name",
                        long_message=f"Invalid filter name: {name[:40]}",
                        parameters={"fieldname": name[:40]},
                    )
                )
            rest = rest.strip()
            if name == "orderfulfillmentstatus":
                if rest not in _STATUS_FILTERS:
                    raise _FilterError(self._bad_value(name, rest))
                statuses = _STATUS_FILTERS[rest]
                continue
            span = self._parse_range(name, rest, now)
            if name == "creationdate":
                created = span
            else:
                modified = span
        if created is not None:
            modified = None  # "If creationdate and lastmodifieddate are both included, only
            # creationdate is used."
        return _Criteria(created=created, modified=modified, statuses=statuses)

    @staticmethod
    def _bad_value(name: str, value: str) -> dict[str, Any]:
        return ebay_error(
            30800,
            "Invalid filter value",
            long_message=f"Invalid filter value {value[:60]} for filter {name}",
            parameters={"fieldvalue": value[:60], "fieldname": name},
        )

    def _parse_range(
        self, name: str, value: str, now: datetime
    ) -> tuple[datetime, datetime | None]:
        if not (value.startswith("[") and value.endswith("]")):
            raise _FilterError(self._bad_value(name, value))
        start_text, sep, end_text = value[1:-1].partition("..")
        if not sep:
            raise _FilterError(self._bad_value(name, value))
        start_text, end_text = start_text.strip(), end_text.strip()
        if not start_text:
            raise _FilterError(
                ebay_error(30820, "Start date is missing", long_message="Start date is missing")
            )
        start = _parse_ts(start_text)
        end = _parse_ts(end_text) if end_text else None
        if start is None or (end_text and end is None):
            raise _FilterError(
                ebay_error(30810, "Invalid date format", long_message="Invalid date format")
            )
        if end is not None and start > end:
            raise _FilterError(
                ebay_error(
                    30840,
                    "Start date should be before end date",
                    long_message="Start date should be before end date",
                )
            )
        if start > now or (end is not None and end > now):
            raise _FilterError(
                ebay_error(
                    30850,
                    "Start and end dates can't be in the future",
                    long_message="Start and end dates can't be in the future",
                )
            )
        last = end if end is not None else now
        if last - start > timedelta(days=365 * _MAX_RANGE_YEARS + 1):
            raise _FilterError(
                ebay_error(
                    30830,
                    "Time range is too long",
                    long_message="Time range between start date and end date must be within "
                    f"'{_MAX_RANGE_YEARS}' years.",
                    parameters={"allowedTime": str(_MAX_RANGE_YEARS)},
                )
            )
        return start, end

    @staticmethod
    def _keep(record: EbayOrderRecord, criteria: _Criteria) -> bool:
        for span, value in (
            (criteria.created, record.created),
            (criteria.modified, record.modified),
        ):
            if span is None:
                continue
            start, end = span
            if value < start or (end is not None and value > end):
                return False
        return criteria.statuses is None or record.status in criteria.statuses

    @route("GET", API_PATH + "/order/{orderId}", operation="getOrder")
    def get_order(self, request: SimRequest) -> SimResponse:
        """``GET /order/{orderId}``: the order with its cancel requests."""
        field_groups = request.param("fieldGroups")
        if field_groups is not None and field_groups != "TAX_BREAKDOWN":
            return self._bad(32800, "Invalid field group", f"Invalid field group: {field_groups}")
        record = self._find(request.path_params["orderId"])
        if record is None:
            return self._invalid_order(request.path_params["orderId"])
        return SimResponse.json(200, self._render(record, request.base_url, listing=False))

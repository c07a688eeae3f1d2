"""The simulated WooCommerce store's order routes: the list with WordPress's date query,
paging and ``Link`` headers, one order, and its update. :class:`SimulatedWooCommerce` is
the whole simulator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from orderhub.sims.woocommerce.base import _as_bool, _as_int, _wp_list
from orderhub.sims.woocommerce.products import WooProducts
from orderhub.sims.woocommerce.records import WOO_STATUSES, WooOrderRecord, _by_created, _by_id
from orderhub.testing.sim import SimRequest, SimResponse, page_number_slice, route

# The ``status`` list filter also takes ``any`` (every status except trash).
_LIST_STATUSES = ("any", *WOO_STATUSES)


_ORDERBY = ("date", "id", "include", "title", "slug")


_WP_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$"
)


@dataclass(frozen=True)
class _ListQuery:
    """The normalised filter part of a list request (the cache key of the store)."""

    statuses: frozenset[str] | None
    after: datetime | None
    before: datetime | None
    modified_after: datetime | None
    modified_before: datetime | None
    include: tuple[int, ...]
    exclude: frozenset[int]
    customer: int | None
    parent: frozenset[int]
    orderby: str
    descending: bool


class SimulatedWooCommerce(WooProducts):
    """A WooCommerce store at ``/wp-json/wc/v3``.

    ``consumer_key``/``consumer_secret`` are the accepted credentials and ``permissions``
    their access level (``read``, ``write`` or ``read_write``). ``seed`` makes generated
    orders reproducible. ``site_utc_offset`` is the store's timezone (fixed, no DST),
    ``currency`` its currency. ``store_url`` is the site address used in the ``_links`` of
    orders returned by the helpers (answers to requests link to the URL the client used).

    Test helpers: :meth:`add_order`, :meth:`modify_order`, :meth:`set_status`,
    :meth:`generate`, :meth:`add_malformed_order`, :meth:`add_note`, :meth:`order`,
    :meth:`notes`, :meth:`repeat_next_link`, :meth:`start_live`. All are thread-safe.
    """

    # -- list ----------------------------------------------------------------------------------

    @route("GET", "/orders", operation="orders.list")
    def list_orders(self, request: SimRequest) -> SimResponse:
        """``GET /orders``."""
        parsed = self._parse_list(request)
        if isinstance(parsed, SimResponse):
            return parsed
        query, page_number, per_page, offset = parsed
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        )
        if denied is not None:
            return denied
        matches = self._query(query)
        page = page_number_slice(matches, max(page_number, 1), per_page)
        items = matches[offset : offset + per_page] if offset is not None else page.items
        body = [self._render(record, request.base_url) for record in items]
        headers = {
            "X-WP-Total": str(page.total),
            "X-WP-TotalPages": str(page.total_pages),
        }
        link = self._link_header(request, page_number, page.total_pages)
        if link:
            headers["Link"] = link
        return SimResponse.json(200, body, headers=headers)

    def _parse_list(
        self, request: SimRequest
    ) -> SimResponse | tuple[_ListQuery, int, int, int | None]:
        problems: dict[str, str] = {}

        def integer(name: str, default: int | None, low: int | None, high: int | None) -> Any:
            raw = request.param(name)
            if raw is None:
                return default
            value = _as_int(raw)
            if value is None:
                problems[name] = f"{name} is not of type integer."
            elif high is not None and low is not None and not low <= value <= high:
                problems[name] = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
            elif low is not None and value < low:
                problems[name] = f"{name} must be greater than or equal to {low}"
            return value

        page = integer("page", 1, 1, None)
        per_page = integer("per_page", 10, 1, 100)
        offset = integer("offset", None, None, None)

        gmt = False
        if request.has_param("dates_are_gmt"):
            flag = _as_bool(request.param("dates_are_gmt", ""))
            if flag is None:
                problems["dates_are_gmt"] = "dates_are_gmt is not of type boolean."
            else:
                gmt = flag
        dates: dict[str, datetime | None] = {}
        for name in ("after", "before", "modified_after", "modified_before"):
            raw = request.param(name)
            if raw is None:
                dates[name] = None
                continue
            wall = self._wall_clock(raw)
            if wall is None:
                problems[name] = "Invalid date."
                dates[name] = None
            else:
                # The wall-clock value is compared with the GMT or the site-time column; as
                # a UTC instant that is the value itself, or the value minus the offset.
                offset_td = timedelta(0) if gmt else self.site_tz.utcoffset(None)
                dates[name] = wall.replace(tzinfo=UTC) - offset_td

        statuses: frozenset[str] | None = None
        raw_statuses = self._list_param(request, "status")
        if raw_statuses:
            for index, value in enumerate(raw_statuses):
                if value not in _LIST_STATUSES:
                    problems[f"status[{index}]"] = (
                        f"status[{index}] is not one of {_wp_list(_LIST_STATUSES)}."
                    )
            if "any" not in raw_statuses:
                statuses = frozenset(raw_statuses)
        id_lists: dict[str, list[int]] = {}
        for name in ("include", "exclude", "parent"):
            values: list[int] = []
            for index, value in enumerate(self._list_param(request, name)):
                number = _as_int(value)
                if number is None:
                    problems[f"{name}[{index}]"] = f"{name}[{index}] is not of type integer."
                else:
                    values.append(number)
            id_lists[name] = values
        customer = integer("customer", None, None, None)
        orderby = request.param("orderby", "date") or "date"
        if orderby not in _ORDERBY:
            problems["orderby"] = f"orderby is not one of {_wp_list(_ORDERBY)}."
        order = request.param("order", "desc") or "desc"
        if order not in ("asc", "desc"):
            problems["order"] = "order is not one of asc and desc."
        if problems:
            return self._invalid_params(problems)
        query = _ListQuery(
            statuses=statuses,
            after=dates["after"],
            before=dates["before"],
            modified_after=dates["modified_after"],
            modified_before=dates["modified_before"],
            include=tuple(id_lists["include"]),
            exclude=frozenset(id_lists["exclude"]),
            customer=customer,
            parent=frozenset(id_lists["parent"]),
            orderby=orderby,
            descending=order == "desc",
        )
        return query, page, per_page, offset

    @staticmethod
    def _list_param(request: SimRequest, name: str) -> list[str]:
        """A WordPress array parameter: ``a,b`` or ``name[]=a&name[]=b``."""
        values: list[str] = []
        for raw in request.params(name):
            values.extend(part.strip() for part in raw.split(",") if part.strip())
        return values

    def _wall_clock(self, raw: str) -> datetime | None:
        """The naive site-or-GMT wall-clock time WordPress compares, or None if invalid."""
        found = _WP_DATE.match(raw.strip())
        if found is None:
            return None
        year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
        try:
            value = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
        except ValueError:
            return None
        if found.group(7):  # Z: converted to the site timezone before comparing
            return value.replace(tzinfo=UTC).astimezone(self.site_tz).replace(tzinfo=None)
        if found.group(8):
            sign = 1 if found.group(8) == "+" else -1
            shift = timedelta(hours=int(found.group(9)), minutes=int(found.group(10) or 0))
            zone = timezone(sign * shift)
            return value.replace(tzinfo=zone).astimezone(self.site_tz).replace(tzinfo=None)
        return value

    def _query(self, query: _ListQuery) -> list[WooOrderRecord]:
        def keep(record: WooOrderRecord) -> bool:
            if query.statuses is None:
                if record.status == "trash":
                    return False
            elif record.status not in query.statuses:
                return False
            if query.after is not None and not record.created > query.after:
                return False
            if query.before is not None and not record.created < query.before:
                return False
            if query.modified_after is not None and not record.modified > query.modified_after:
                return False
            if query.modified_before is not None and not record.modified < query.modified_before:
                return False
            if query.include and record.id not in query.include:
                return False
            if record.id in query.exclude:
                return False
            if query.customer is not None and record.customer_id != query.customer:
                return False
            return not query.parent or 0 in query.parent

        sort_key: Callable[[WooOrderRecord], tuple[object, ...]]
        if query.orderby == "id":
            sort_key = _by_id
        elif query.orderby == "include":
            position = {order_id: index for index, order_id in enumerate(query.include)}
            sort_key = lambda r: (position.get(r.id, len(position)), r.id)  # noqa: E731
        else:  # date; title and slug sort like date (an order's title is its date)
            sort_key = _by_created
        descending = query.descending and query.orderby != "include"
        return self.store.query(query, keep, sort_key, reverse=descending)

    def _link_header(self, request: SimRequest, page: int, total_pages: int) -> str:
        with self._helper_lock:
            repeat = self._repeat_link > 0 and page < total_pages
            if repeat:
                self._repeat_link -= 1
        base = request.base_url + request.path

        def url(number: int) -> str:
            params = {k: list(v) for k, v in request.query.items() if k != "page"}
            params["page"] = [str(number)]
            return f"{base}?{urlencode(params, doseq=True)}"

        links: list[tuple[str, int]] = []
        if "first" in self.link_rels and total_pages > 0:
            links.append(("first", 1))
        if "prev" in self.link_rels and page > 1:
            links.append(("prev", min(page - 1, total_pages)))
        if "next" in self.link_rels and page < total_pages:
            links.append(("next", page if repeat else page + 1))
        if "last" in self.link_rels and total_pages > 0:
            links.append(("last", total_pages))
        return ", ".join(f'<{url(number)}>; rel="{rel}"' for rel, number in links)

    # -- single orders -------------------------------------------------------------------------

    @route("GET", "/orders/{id:int}", operation="orders.get")
    def get_order(self, request: SimRequest) -> SimResponse:
        """``GET /orders/{id}``."""
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        if denied is not None:
            return denied
        record = self.store.get(int(request.path_params["id"]))
        if record is None:
            return self.error_response(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return SimResponse.json(200, self._render(record, request.base_url))

    @route("PUT", "/orders/{id:int}", operation="orders.update")
    @route("POST", "/orders/{id:int}", operation="orders.update")
    @route("PATCH", "/orders/{id:int}", operation="orders.update")
    def update_order(self, request: SimRequest) -> SimResponse:
        """``PUT /orders/{id}``: ``status``, ``set_paid``, ``customer_note``,
        ``transaction_id``, ``billing``, ``shipping`` and ``meta_data`` are applied; other
        fields are ignored. ``date_modified`` moves only when something changed."""
        payload = self._json_body(request)
        if isinstance(payload, SimResponse):
            return payload
        if "status" in payload and payload["status"] not in WOO_STATUSES:
            return self._invalid_params(
                {"status": f"status is not one of {_wp_list(WOO_STATUSES)}."}
            )
        denied = self._denied(
            request,
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        )
        if denied is not None:
            return denied
        order_id = int(request.path_params["id"])
        record = self.store.get(order_id)
        if record is None:
            return self.error_response(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        changes: dict[str, Any] = {}
        for key in ("customer_note", "transaction_id", "billing", "shipping"):
            if key in payload:
                changes[key] = payload[key]
        if isinstance(payload.get("meta_data"), list):
            changes["meta_data"] = self._merged_meta(record, payload["meta_data"])
        status = payload.get("status")
        if _as_bool(payload.get("set_paid", False)) and status is None:
            status = "processing"
        self._apply(record, status=status, changes=changes, when=None)
        return SimResponse.json(200, self._render(record, request.base_url))

    def _merged_meta(self, record: WooOrderRecord, updates: list[Any]) -> list[dict[str, Any]]:
        current: list[dict[str, Any]] = list(self._render(record, "")["meta_data"])
        for item in updates:
            if not isinstance(item, dict) or "key" not in item:
                continue
            for existing in current:
                if existing["key"] == item["key"]:
                    existing["value"] = item.get("value")
                    break
            else:
                current.append(
                    {
                        "id": record.id * 100 + 80 + len(current),
                        "key": item["key"],
                        "value": item.get("value"),
                    }
                )
        return current

    def repeat_next_link(self, times: int = 1) -> None:
        """Make the next ``times`` list answers that have a next page point their ``next``
        link at the page just served (a pagination loop, for loop-detection tests)."""
        with self._helper_lock:
            self._repeat_link += times

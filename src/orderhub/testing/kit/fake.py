"""Tier 2's stateful fake channel: a table of orders made from the author's recorded order
records, served by list rules the author declares, with shipments kept per order.

Where a simulator models a whole channel, :class:`FakeChannel` only keeps what has state,
and :class:`ChannelRules` says how the channel shows it::

    ChannelRules(
        filters={"modified_after": "date_modified_gmt >", "modified_before": "date_modified_gmt <",
                 "status": "status ="},
        every_status_but={"any": ("trash",)},
        paging=PageNumbers(total_header="X-WP-Total", pages_header="X-WP-TotalPages"),
        modified="date_modified_gmt",
        created="date_created_gmt",
        shipments="notes",
    )

``filters`` maps a query parameter of the list request to ``"<field> <op>"``: ``>``, ``>=``,
``<`` and ``<=`` compare times (ISO with or without zone, epoch seconds or milliseconds),
``=`` compares text (a comma-separated parameter lists several values; a value of
``every_status_but`` lists every value but the ones given). A parameter the rules do not
name is ignored, as a channel ignores parameters it does not know. Orders are listed oldest
change first, then by id.

Requests it answers, below the recorded list path (``/orders`` here):

- ``GET /orders``: the orders the filters keep, one page (``paging``);
- ``GET /orders/{id}``: one order; ``PUT``/``PATCH``/``POST /orders/{id}``: the JSON body is
  merged into the order and its modified time moves to now (a status change);
- ``GET /orders/{id}/<shipments>``: the order's shipments; ``POST`` adds one (the JSON body
  plus an ``id``) and merges ``on_ship`` into the order (how a shipment shows on it).

Every request must carry each secret setting (in a header, Basic or not, or in the query
string), else it is answered 401: a connector that forgets its credentials fails here as it
would on the channel.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from orderhub.sdk.clock import Clock
from orderhub.testing.sim import SimRequest, SimResponse, SimulatedApi
from orderhub.testing.sim.api import Route

__all__ = ["ChannelRules", "FakeChannel", "NextToken", "PageNumbers"]

_TIME_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class PageNumbers:
    """Page-number paging: ``?page=2&per_page=50``; totals in headers when named."""

    page: str = "page"
    per_page: str = "per_page"
    total_header: str | None = None
    pages_header: str | None = None


@dataclass(frozen=True)
class NextToken:
    """Token paging: ``?limit=50``, then ``?page_token=...`` while the answer carries
    ``token_key`` (dotted for a nested key)."""

    param: str = "page_token"
    # Where the answer carries the next page token: a key, not a credential.
    token_key: str = "next_page_token"  # noqa: S105
    limit: str = "limit"


@dataclass(frozen=True)
class ChannelRules:
    """How the channel lists, changes and ships orders (see the module docstring).

    ``records`` is where the list answer holds its orders (dotted; ``""``: the body is the
    list), ``id_field`` the order id, ``modified`` / ``created`` the order's time fields,
    ``cancel`` the fields a cancellation sets, ``shipments`` the name of an order's
    shipments below it and ``shipments_key`` where their list answer holds them (``""``: a
    bare list), ``malformed`` the fixture file (in ``fixtures_dir``) of an order
    ``to_order`` must refuse (default: the first ``malformed_*.json`` holding ``modified``),
    ``page_size`` the page size when the request names none.
    """

    filters: Mapping[str, str]
    paging: PageNumbers | NextToken = field(default_factory=PageNumbers)
    records: str = ""
    id_field: str = "id"
    modified: str = "updated_at"
    created: str | None = "created_at"
    every_status_but: Mapping[str, Collection[str]] = field(default_factory=dict)
    cancel: Mapping[str, Any] = field(default_factory=lambda: {"status": "cancelled"})
    shipments: str = "shipments"
    shipments_key: str = ""
    on_ship: Mapping[str, Any] = field(default_factory=dict)
    malformed: str | None = None
    page_size: int = 10

    def parsed_filters(self) -> dict[str, tuple[str, str]]:
        parsed = {}
        for param, rule in self.filters.items():
            name, _, op = rule.strip().rpartition(" ")
            if not name or op not in (*_TIME_OPS, "="):
                raise ValueError(
                    f"filter {param!r}: {rule!r} must read '<field> <op>' with op one of "
                    "> >= < <= ="
                )
            parsed[param] = (name.strip(), op)
        return parsed


def read_time(value: Any) -> datetime | None:
    """A time as channels send it: ISO (a naive one is UTC), epoch seconds or ms."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if text.lstrip("-").replace(".", "", 1).isdigit():
        number = float(text)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def write_time(moment: datetime, like: Any) -> Any:
    """``moment`` in the form of ``like`` (the recorded value of the same field)."""
    moment = moment.astimezone(UTC)
    if isinstance(like, (int, float)) and not isinstance(like, bool):
        seconds = moment.timestamp()
        return int(seconds * 1000) if like > 1e11 else int(seconds)
    text = str(like or "")
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if "." in text[19:]:
        base += f".{moment.microsecond // 1000:03d}"
    if text.endswith(("Z", "z")):
        return base + "Z"
    if text[19:].lstrip(".0123456789").startswith(("+", "-")):
        return base + "+00:00"
    return base


def dig(body: Any, path: str) -> Any:
    for key in filter(None, path.split(".")):
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _nest(path: str, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
    if not path:
        return value
    keys = path.split(".")
    body: dict[str, Any] = dict(extra or {})
    inner = body
    for key in keys[:-1]:
        inner = inner.setdefault(key, {})
    inner[keys[-1]] = value
    return body


class FakeChannel(SimulatedApi):
    """The fake: ``orders`` (by id, as text), ``shipments`` (by order id) and the routes of
    the module docstring, with the faults, rate limits and request record of any
    :class:`~orderhub.testing.sim.SimulatedApi`."""

    def __init__(
        self,
        clock: Clock,
        rules: ChannelRules,
        *,
        template: Mapping[str, Any],
        list_path: str,
        secrets: Collection[str] = (),
        root: str = "",
    ) -> None:
        super().__init__(clock)
        self.root = root.rstrip("/")
        self.rules = rules
        self.template = copy.deepcopy(dict(template))
        self.secrets = [s for s in secrets if s]
        self.orders: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, list[dict[str, Any]]] = {}
        self._filters = rules.parsed_filters()
        self._next_id = 5001
        path = "/" + list_path.strip("/")
        one = path + "/{order_id}"
        self.add_route("GET", path, self._list, operation="orders.list")
        self.add_route("GET", one, self._get, operation="orders.get")
        for method in ("PUT", "PATCH", "POST"):
            self.add_route(method, one, self._update, operation="orders.update")
        below = f"{one}/{rules.shipments}"
        self.add_route("GET", below, self._list_shipments, operation="shipments.list")
        self.add_route("POST", below, self._ship, operation="shipments.create")

    def relative_path(self, path: str) -> str:
        """``path`` below ``root`` (the API's root in the recorded list path), so faults and
        request counts name ``/orders`` as for a simulator with that ``base_path``."""
        if self.root and (path == self.root or path.startswith(self.root + "/")):
            return path[len(self.root) :] or "/"
        return path

    # -- the table ---------------------------------------------------------------------------

    def add(self, modified: datetime, template: Mapping[str, Any] | None = None) -> str:
        """A new order like ``template`` (default: the recorded one), created and last
        modified at ``modified``; returns its id."""
        order = copy.deepcopy(dict(template if template is not None else self.template))
        recorded_id = self.template.get(self.rules.id_field)
        new_id = self._next_id
        self._next_id += 1
        order[self.rules.id_field] = new_id if isinstance(recorded_id, int) else str(new_id)
        for name in (self.rules.modified, self.rules.created):
            if name:
                order[name] = write_time(modified, order.get(name, self.template.get(name)))
        self.orders[str(new_id)] = order
        return str(new_id)

    def change(self, order_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Set ``fields`` on the order and move its modified time to now."""
        order = self.orders[str(order_id)]
        order.update(copy.deepcopy(dict(fields)))
        modified = self.rules.modified
        order[modified] = write_time(self.clock.now(), order.get(modified))
        return order

    # -- the routes --------------------------------------------------------------------------

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        sent = [unquote_plus(v) for values in request.query.values() for v in values]
        for value in request.headers.values():
            sent.append(value)
            scheme, _, credentials = value.partition(" ")
            if scheme.lower() == "basic":
                with contextlib.suppress(ValueError, binascii.Error):
                    sent.append(base64.b64decode(credentials).decode("utf-8", "replace"))
        missing = [s for s in self.secrets if not any(s in text for text in sent)]
        if missing:
            return self.error_response(401, "unauthorized", "credentials missing or wrong")
        return None

    def _list(self, request: SimRequest) -> SimResponse:
        rows = []
        for order in self.orders.values():
            keep = self._keeps(order, request)
            if isinstance(keep, SimResponse):
                return keep
            if keep:
                rows.append(order)
        rows.sort(key=self._order_key)
        paging = self.rules.paging
        if isinstance(paging, NextToken):
            size = _int(request.param(paging.limit), self.rules.page_size)
            token = request.param(paging.param)
            start = _int(_decode(token), -1) if token else 0
            if start < 0:
                return self.error_response(400, "bad_request", f"{paging.param}: not a token")
            page = rows[start : start + size]
            following = _encode(start + size) if start + size < len(rows) else None
            body = _nest(self.rules.records, copy.deepcopy(page))
            if isinstance(body, dict):
                body.update(_nest(paging.token_key, following))
            return SimResponse.json(200, body)
        size = _int(request.param(paging.per_page), self.rules.page_size)
        number = max(1, _int(request.param(paging.page), 1))
        page = rows[(number - 1) * size : number * size]
        headers = {}
        if paging.total_header:
            headers[paging.total_header] = str(len(rows))
        if paging.pages_header:
            headers[paging.pages_header] = str(-(-len(rows) // size))
        return SimResponse.json(200, _nest(self.rules.records, copy.deepcopy(page)), headers)

    def _keeps(self, order: Mapping[str, Any], request: SimRequest) -> bool | SimResponse:
        for param, (name, op) in self._filters.items():
            value = request.param(param)
            if value is None:
                continue
            if op == "=":
                wanted = {v.strip() for v in value.split(",")}
                have = str(order.get(name, ""))
                but = [
                    self.rules.every_status_but[v]
                    for v in wanted & set(self.rules.every_status_but)
                ]
                if have not in wanted and not any(have not in excluded for excluded in but):
                    return False
                continue
            bound = read_time(value)
            if bound is None:
                return self.error_response(
                    400, "bad_request", f"{param}: {value[:40]!r} is not a time"
                )
            moment = read_time(order.get(name))
            if moment is None or not _TIME_OPS[op](moment, bound):
                return False
        return True

    def _order_key(self, order: Mapping[str, Any]) -> tuple[datetime, int, str]:
        moment = read_time(order.get(self.rules.modified)) or datetime.min.replace(tzinfo=UTC)
        ident = str(order.get(self.rules.id_field, ""))
        return moment, int(ident) if ident.isdigit() else 0, ident

    def _found(self, request: SimRequest) -> dict[str, Any] | SimResponse:
        order = self.orders.get(request.path_params["order_id"])
        if order is None:
            return self.error_response(404, "not_found", "no such order")
        return order

    def _get(self, request: SimRequest) -> SimResponse:
        order = self._found(request)
        return order if isinstance(order, SimResponse) else SimResponse.json(200, order)

    def _update(self, request: SimRequest) -> SimResponse:
        order = self._found(request)
        if isinstance(order, SimResponse):
            return order
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            return self.error_response(400, "bad_request", "expected a JSON object")
        return SimResponse.json(200, self.change(request.path_params["order_id"], body))

    def _list_shipments(self, request: SimRequest) -> SimResponse:
        found = self._found(request)
        if isinstance(found, SimResponse):
            return found
        items = self.shipments.get(request.path_params["order_id"], [])
        return SimResponse.json(200, _nest(self.rules.shipments_key, copy.deepcopy(items)))

    def _ship(self, request: SimRequest) -> SimResponse:
        found = self._found(request)
        if isinstance(found, SimResponse):
            return found
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            return self.error_response(400, "bad_request", "expected a JSON object")
        order_id = request.path_params["order_id"]
        items = self.shipments.setdefault(order_id, [])
        item = {**body, "id": str(sum(len(v) for v in self.shipments.values()) + 1)}
        items.append(item)
        if self.rules.on_ship:
            self.change(order_id, self.rules.on_ship)
        return SimResponse.json(201, item)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode(token: str | None) -> str | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, binascii.Error):
        return None
    return text.removeprefix("offset:")

"""GraphQL APIs seen from a connector: one endpoint every call POSTs a document to, errors
that arrive in a 200 answer, connections paged by cursor, and a rate limit counted in query
cost points instead of requests.

A connector keeps one :class:`GraphQLEndpoint` and hands it its ``classify_response`` and
its calls::

    ERRORS = GraphQLErrors(channel="Shop", refused_fix="...", denied={"ACCESS_DENIED": "..."})

    class ShopConnector(Connector[ShopSettings]):
        def __init__(self, context):
            self._api = GraphQLEndpoint(context.clock, ERRORS, path="graphql.json")
            super().__init__(context)

        def classify_response(self, response):
            return self._api.classify(response)

        def fetch_orders(self, window):
            for page in self._api.pages(self.http, "orders", ORDERS, {"first": 50}, "orders"):
                yield from page["nodes"]

Answers that report their cost (Shopify's ``extensions.cost``: ``requestedQueryCost`` and
``throttleStatus`` with the bucket's size, points available and restore rate) feed a
:class:`QueryCostBucket`; before a document goes out the endpoint waits until the bucket
holds the cost that document requested last time, so a steady backfill never meets the
channel's throttle. An answer that is throttled anyway (another client shares the bucket)
becomes a :class:`~orderhub.sdk.RateLimitedError` whose ``retry_after`` is the refill time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from orderhub.sdk.clock import Clock
from orderhub.sdk.errors import (
    AuthError,
    ConnectorError,
    PaginationLoopError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from orderhub.sdk.json_body import decode_json

if TYPE_CHECKING:
    from orderhub.sdk.http import HttpClient

__all__ = ["GraphQLEndpoint", "GraphQLErrors", "QueryCostBucket", "graphql_error"]

_MAX_MESSAGE = 200


class QueryCostBucket:
    """The client-side model of a channel's query-cost leaky bucket, unknown until the first
    answer reports it (:meth:`observe`). The key names are the ``throttleStatus`` fields the
    channel uses (Shopify's by default)."""

    def __init__(
        self,
        clock: Clock,
        *,
        maximum_key: str = "maximumAvailable",
        available_key: str = "currentlyAvailable",
        restore_key: str = "restoreRate",
    ) -> None:
        self._clock = clock
        self._keys = (maximum_key, available_key, restore_key)
        self.maximum: float | None = None
        self.restore_rate = 0.0
        self._available = 0.0
        self._stamp = 0.0
        self.waited = 0.0

    def available(self) -> float | None:
        """Points in the bucket now (refilled since the last answer); None when unknown."""
        if self.maximum is None:
            return None
        gained = (self._clock.monotonic() - self._stamp) * self.restore_rate
        return min(self.maximum, self._available + max(0.0, gained))

    def seconds_until(self, cost: float) -> float:
        """How long until the bucket holds ``cost`` points (0 when it does, or is unknown);
        a cost above the bucket's size waits for a full bucket."""
        have = self.available()
        if have is None or have >= cost or self.restore_rate <= 0:
            return 0.0
        return (min(cost, self.maximum or cost) - have) / self.restore_rate

    def wait_for(self, cost: float) -> float:
        """Sleep on the clock until ``cost`` points are available; returns the seconds."""
        delay = self.seconds_until(cost)
        if delay > 0:
            self._clock.sleep(delay)
            self.waited += delay
        return delay

    def observe(self, status: Any) -> None:
        """Adopt a reported ``throttleStatus``; one that cannot be read changes nothing."""
        if not isinstance(status, dict):
            return
        maximum, available, restore = self._keys
        try:
            self.maximum = float(status[maximum])
            self._available = float(status[available])
            self.restore_rate = float(status[restore])
        except (KeyError, TypeError, ValueError):
            return
        self._stamp = self._clock.monotonic()


def graphql_error(errors: list[Any]) -> tuple[str | None, str]:
    """The ``extensions.code`` (None when there is none) and the message, white space
    collapsed and cut to 200 characters, of the first entry of a GraphQL ``errors`` list."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    found = first.get("extensions")
    extensions: dict[str, Any] = found if isinstance(found, dict) else {}
    code = str(extensions.get("code") or "") or None
    message = " ".join(str(first.get("message") or "GraphQL error").split())[:_MAX_MESSAGE]
    return code, message


@dataclass(frozen=True)
class GraphQLErrors:
    """What the ``extensions.code`` of a GraphQL error means for ``channel`` (``"Shopify"``):
    ``throttled`` codes wait for the cost bucket, ``transient`` ones are retried, ``denied``
    ones are an :class:`~orderhub.sdk.AuthError` with the fix given, and anything else is a
    :class:`~orderhub.sdk.RejectedError` with ``refused_fix``: a 200 with errors is never a
    success."""

    channel: str
    refused_fix: str
    denied: Mapping[str, str] = field(default_factory=dict)
    throttled: frozenset[str] = frozenset({"THROTTLED"})
    transient: frozenset[str] = frozenset(
        {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}
    )

    def to_error(
        self, operation: str, errors: list[Any], requested: float, bucket: QueryCostBucket
    ) -> ConnectorError:
        """The SDK error for an answer with top-level ``errors`` to ``operation``;
        ``requested`` is the query's cost (0 when the answer did not say)."""
        code, message = graphql_error(errors)
        what = f"{operation}: {self.channel} answered {code or 'an error'}: {message}"
        if code in self.throttled:
            wait = bucket.seconds_until(requested) if requested else 1.0
            return RateLimitedError(what, code=code, retry_after=max(wait, 0.1))
        if code is not None and code in self.denied:
            return AuthError(what, code=code, fix=self.denied[code])
        if code in self.transient:
            return TransientError(what, code=code)
        return RejectedError(what, code=code, fix=self.refused_fix)


class GraphQLEndpoint:
    """One GraphQL endpoint (``path`` under the connector's base URL): sends documents after
    waiting for the cost bucket, reads each answer's body once, learns each document's cost
    and turns ``errors`` into SDK errors (see the module docstring). ``cost_key`` names the
    ``extensions`` entry holding the cost report."""

    def __init__(
        self,
        clock: Clock,
        errors: GraphQLErrors,
        *,
        path: str = "graphql",
        cost_key: str = "cost",
        bucket: QueryCostBucket | None = None,
    ) -> None:
        self.errors = errors
        self.path = path
        self.bucket = bucket or QueryCostBucket(clock)
        self._cost_key = cost_key
        self._costs: dict[str, float] = {}
        # The body classify() parsed, so send() does not parse the same answer again.
        self._parsed: tuple[httpx.Response, Any] | None = None

    def _cost(self, body: Any) -> dict[str, Any]:
        extensions = body.get("extensions") if isinstance(body, dict) else None
        cost = extensions.get(self._cost_key) if isinstance(extensions, dict) else None
        return cost if isinstance(cost, dict) else {}

    @staticmethod
    def _requested(cost: dict[str, Any]) -> float | None:
        """The answer's ``requestedQueryCost``; None when it is missing or not a number."""
        value = cost.get("requestedQueryCost")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def classify(self, response: httpx.Response) -> ConnectorError | None:
        """For the connector's ``classify_response``: the error of an answer (200 or 429)
        from this endpoint whose body holds ``errors``, or whose 200 body is not JSON; None
        for anything else, which the SDK classifies by its HTTP status."""
        path = response.request.url.path
        if response.status_code not in (200, 429) or not path.endswith(self.path):
            return None
        try:
            body = decode_json(response.content)
        except ValueError:
            if response.status_code != 200:
                return None
            return TransientError(
                f"{self.errors.channel} answered with a body that is not JSON "
                f"({len(response.content)} bytes)"
            )
        self._parsed = (response, body)
        cost = self._cost(body)
        if cost:
            self.bucket.observe(cost.get("throttleStatus"))
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            requested = self._requested(cost) or 0.0
            return self.errors.to_error(path, errors, requested, self.bucket)
        return None

    def send(
        self,
        http: HttpClient,
        operation: str,
        document: str,
        variables: Mapping[str, Any],
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send one document and return its ``data``, after waiting for the cost bucket to
        hold what the document cost last time. Mutations go with ``idempotent=False`` (never
        resent after a lost answer). An answer without ``data`` is a TransientError."""
        http.stats.waited += self.bucket.wait_for(self._costs.get(document, 0.0))
        response = http.send_json(
            operation,
            "POST",
            self.path,
            json={"query": document, "variables": dict(variables)},
            idempotent=idempotent,
        )
        parsed = self._parsed
        body = (
            parsed[1]
            if parsed is not None and parsed[0] is response
            else decode_json(response.content)
        )
        requested = self._requested(self._cost(body))
        if requested is not None:
            self._costs[document] = requested
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise TransientError(f"{operation}: {self.errors.channel} answered without data")
        data: dict[str, Any] = body["data"]
        return data

    def mutate(
        self,
        http: HttpClient,
        operation: str,
        document: str,
        variables: Mapping[str, Any],
        field: str,
        *,
        result: str,
        user_errors: str = "userErrors",
    ) -> Any:
        """Run a mutation (sent once: never resent after a lost answer) and return the
        object at ``result`` of its payload ``field`` (``fulfillmentCreate`` and
        ``fulfillment``). Errors at ``user_errors`` in the payload refuse it with a
        RejectedError quoting the first three; a payload without ``result`` is a
        TransientError."""
        data = self.send(http, operation, document, variables, idempotent=False)
        payload = data.get(field) or {}
        errors = payload.get(user_errors) or []
        if errors:
            text = "; ".join(str(error.get("message"))[:160] for error in errors[:3])
            raise RejectedError(f"{field}: {self.errors.channel} refused it: {text}")
        if not payload.get(result):
            raise TransientError(f"{field}: {self.errors.channel} answered without the {result}")
        return payload[result]

    def pages(
        self,
        http: HttpClient,
        operation: str,
        document: str,
        variables: Mapping[str, Any],
        connection: str,
        *,
        count: bool = True,
        records: str = "records",
    ) -> Iterator[dict[str, Any]]:
        """Each page of the connection at ``connection`` (a dotted path into ``data``:
        ``"orders"``), as the channel answered it (``nodes``/``edges`` and ``pageInfo``),
        following ``pageInfo { hasNextPage endCursor }`` through the ``after`` variable.
        ``count`` counts each page in the HTTP stats; ``records`` names what the pages hold
        in the error below (``"orders"``). A cursor served twice, or a next page
        without a cursor, raises PaginationLoopError instead of reading forever."""
        values = {**variables, "after": variables.get("after")}
        seen: set[str] = set()
        while True:
            page: Any = self.send(http, operation, document, values)
            for key in connection.split("."):
                page = page[key]
            if count:
                http.count_page()
            yield page
            info = page["pageInfo"]
            cursor = info.get("endCursor")
            if not info.get("hasNextPage"):
                return
            if not cursor or cursor in seen:
                raise PaginationLoopError(
                    f"{operation}: {self.errors.channel} served the page after cursor "
                    f"{str(cursor)[:16]} again; stopped instead of reading the same "
                    f"{records} forever"
                )
            seen.add(cursor)
            values["after"] = cursor

    def complete(
        self,
        http: HttpClient,
        operation: str,
        document: str,
        variables: Mapping[str, Any],
        record: dict[str, Any],
        *,
        connection: str,
    ) -> dict[str, Any]:
        """``record`` with every node of a nested connection (an order's ``lineItems``)
        when the first page it came with did not hold them all. ``document`` reads the rest:
        it takes ``variables`` and ``after`` and answers the connection at the dotted
        ``connection`` (``"order.lineItems"``), whose last part is the record's key. A
        record that came complete is returned as it is, without a call."""
        key = connection.rsplit(".", 1)[-1]
        first: Any = record.get(key)
        info = first.get("pageInfo") if isinstance(first, dict) else None
        if not isinstance(info, dict) or not info.get("hasNextPage"):
            return record
        nodes = list(first["nodes"])
        values = {**variables, "after": info.get("endCursor")}
        for page in self.pages(http, operation, document, values, connection, count=False):
            nodes += page["nodes"]
        return {**record, key: {"nodes": nodes, "pageInfo": page["pageInfo"]}}

"""GraphQL endpoints (sdk/graphql.py): the query-cost bucket, errors in 200 answers,
learnt costs waited for before sending, and cursor paging that stops on a repeated cursor."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import structlog

from orderhub.sdk import (
    AuthError,
    GraphQLEndpoint,
    GraphQLErrors,
    PaginationLoopError,
    QueryCostBucket,
    RateLimitedError,
    RejectedError,
    RetryPolicy,
    TransientError,
    graphql_error,
)
from orderhub.sdk.http import HttpClient
from orderhub.testing import FakeClock

ERRORS = GraphQLErrors(
    channel="Shop", refused_fix="Check the query.", denied={"FORBIDDEN": "Grant the scope."}
)
DOC = "query Orders($after: String) { orders(after: $after) { nodes { id } } }"


def status(available: float, maximum: float = 1000.0, rate: float = 50.0) -> dict[str, Any]:
    return {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate}


def answer(data: Any = None, *, cost: float | None = None, left: float = 1000.0, **extra: Any):
    body: dict[str, Any] = {"data": data, **extra}
    if cost is not None:
        body["extensions"] = {"cost": {"requestedQueryCost": cost, "throttleStatus": status(left)}}
    return httpx.Response(200, json=body)


def endpoint_and_client(
    handler: Any, clock: FakeClock | None = None
) -> tuple[GraphQLEndpoint, HttpClient, FakeClock]:
    clock = clock or FakeClock()
    api = GraphQLEndpoint(clock, ERRORS, path="graphql.json")
    http = HttpClient(
        base_url="https://shop.example/api/",
        account_id="a",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=clock,
        log=structlog.get_logger(),
        transport=httpx.MockTransport(handler),
        classify=api.classify,
    )
    return api, http, clock


def test_the_bucket_is_unknown_until_observed_then_refills_on_the_clock() -> None:
    clock = FakeClock()
    bucket = QueryCostBucket(clock)
    assert bucket.available() is None and bucket.seconds_until(500) == 0.0
    bucket.observe(status(100))
    assert bucket.seconds_until(600) == pytest.approx(10.0)
    clock.advance(4)
    assert bucket.available() == pytest.approx(300.0)
    assert bucket.wait_for(600) == pytest.approx(6.0) and bucket.waited == pytest.approx(6.0)
    clock.advance(100)
    assert bucket.available() == 1000.0  # never above the bucket's size
    bucket.observe({"maximumAvailable": "x"})  # unreadable: ignored
    assert bucket.maximum == 1000.0


def test_a_cost_above_the_bucket_waits_for_a_full_bucket_and_keys_can_be_renamed() -> None:
    bucket = QueryCostBucket(FakeClock(), maximum_key="max", available_key="now", restore_key="r")
    bucket.observe({"max": 100, "now": 0, "r": 10})
    assert bucket.seconds_until(5000) == pytest.approx(10.0)


def test_graphql_error_reads_the_first_entry_code_and_a_short_message() -> None:
    long = "field   " + "x" * 300
    code, message = graphql_error([{"message": long, "extensions": {"code": "BAD"}}, {}])
    assert code == "BAD" and message.startswith("field x") and len(message) == 200
    assert graphql_error(["not an object"]) == (None, "GraphQL error")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("THROTTLED", RateLimitedError),
        ("FORBIDDEN", AuthError),
        ("TIMEOUT", TransientError),
        ("MAX_COST_EXCEEDED", RejectedError),
        (None, RejectedError),
    ],
)
def test_errors_in_a_200_answer_are_never_a_success(code: str | None, kind: type) -> None:
    entry: dict[str, Any] = {"message": "nope"}
    if code:
        entry["extensions"] = {"code": code}

    def handler(request: httpx.Request) -> httpx.Response:
        return answer(None, cost=400, left=100, errors=[entry])

    api, http, _ = endpoint_and_client(handler)
    with pytest.raises(kind) as caught:
        api.send(http, "read", DOC, {})
    assert caught.value.message.startswith("/api/graphql.json: Shop answered")
    if kind is RateLimitedError:
        assert caught.value.retry_after == pytest.approx(6.0)  # 300 points at 50 a second
    if kind is AuthError:
        assert caught.value.fix == "Grant the scope."


def test_a_body_that_is_not_json_or_has_no_data_is_transient() -> None:
    api, http, _ = endpoint_and_client(lambda request: httpx.Response(200, content=b"<html>"))
    with pytest.raises(TransientError, match="not JSON"):
        api.send(http, "read", DOC, {})
    api, http, _ = endpoint_and_client(lambda request: answer(None))
    with pytest.raises(TransientError, match="read: Shop answered without data"):
        api.send(http, "read", DOC, {})


def test_a_document_waits_for_the_cost_it_requested_last_time() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return answer({"orders": {"nodes": []}}, cost=900, left=100)

    api, http, clock = endpoint_and_client(handler)
    start = clock.monotonic()
    api.send(http, "read", DOC, {})
    assert clock.monotonic() == start  # nothing known before the first answer
    api.send(http, "read", DOC, {})
    assert clock.monotonic() - start == pytest.approx(16.0)  # 800 points at 50 a second
    assert http.stats.waited == pytest.approx(16.0)
    api.send(http, "read", "query Other { shop { id } }", {})  # another document: no wait
    assert clock.monotonic() - start == pytest.approx(16.0)


def test_pages_follow_end_cursors_and_count_each_page() -> None:
    sent: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        after = json.loads(request.content)["variables"]["after"]
        sent.append(after)
        more = after != "c2"
        info = {"hasNextPage": more, "endCursor": "c2" if more else None}
        return answer({"shop": {"orders": {"nodes": [{"id": after}], "pageInfo": info}}})

    api, http, _ = endpoint_and_client(handler)
    pages = list(api.pages(http, "list", DOC, {"first": 5}, "shop.orders"))
    assert [page["nodes"][0]["id"] for page in pages] == [None, "c2"]
    assert sent == [None, "c2"] and http.stats.pages == 2
    list(api.pages(http, "list", DOC, {}, "shop.orders", count=False))
    assert http.stats.pages == 2


def test_a_cursor_served_twice_stops_the_listing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        info = {"hasNextPage": True, "endCursor": "same"}
        return answer({"orders": {"nodes": [], "pageInfo": info}})

    api, http, _ = endpoint_and_client(handler)
    with pytest.raises(PaginationLoopError, match="the same orders forever"):
        list(api.pages(http, "list", DOC, {}, "orders", records="orders"))


def test_a_mutation_is_sent_once_and_its_user_errors_refuse_it() -> None:
    answers = [
        {"fulfill": {"fulfillment": {"id": "f1"}, "userErrors": []}},
        {"fulfill": {"fulfillment": None, "userErrors": [{"message": "line is closed"}]}},
        {"fulfill": {"fulfillment": None, "userErrors": []}},
    ]
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return answer(answers[len(sent) - 1])

    api, http, _ = endpoint_and_client(handler)
    made = api.mutate(http, "write", "mutation M { fulfill }", {}, "fulfill", result="fulfillment")
    assert made == {"id": "f1"}
    with pytest.raises(RejectedError, match="fulfill: Shop refused it: line is closed"):
        api.mutate(http, "write", "mutation M { fulfill }", {}, "fulfill", result="fulfillment")
    with pytest.raises(TransientError, match="answered without the fulfillment"):
        api.mutate(http, "write", "mutation M { fulfill }", {}, "fulfill", result="fulfillment")
    assert len(sent) == 3


def test_a_nested_connection_gets_the_rest_of_its_nodes_read() -> None:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        sent.append(variables)
        last = variables["after"] == "l4"
        info = {"hasNextPage": not last, "endCursor": "l4"}
        nodes = [{"id": "l5"}] if last else [{"id": "l3"}, {"id": "l4"}]
        return answer({"order": {"lineItems": {"nodes": nodes, "pageInfo": info}}})

    api, http, _ = endpoint_and_client(handler)
    whole = {"id": "o1", "lineItems": {"nodes": [{"id": "l1"}], "pageInfo": {}}}
    assert api.complete(http, "read", DOC, {}, whole, connection="order.lineItems") is whole
    assert sent == []
    order = {
        "id": "o1",
        "lineItems": {
            "nodes": [{"id": "l1"}, {"id": "l2"}],
            "pageInfo": {"hasNextPage": True, "endCursor": "l2"},
        },
    }
    done = api.complete(http, "read", DOC, {"id": "o1"}, order, connection="order.lineItems")
    assert [n["id"] for n in done["lineItems"]["nodes"]] == ["l1", "l2", "l3", "l4", "l5"]
    assert done["lineItems"]["pageInfo"]["hasNextPage"] is False
    assert sent == [{"id": "o1", "after": "l2"}, {"id": "o1", "after": "l4"}]
    assert http.stats.pages == 0


def test_a_hostile_body_is_transient_and_a_junk_cost_report_is_ignored() -> None:
    bodies: list[Any] = [
        [1, 2],
        {"data": {"ok": True}, "extensions": {"cost": "lots"}},
        {"data": {"ok": True}, "extensions": {"cost": {"requestedQueryCost": "955"}}},
        {"errors": [{"message": "x"}], "extensions": {"cost": {"requestedQueryCost": True}}},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies.pop(0))

    api, http, clock = endpoint_and_client(handler)
    with pytest.raises(TransientError, match="answered without data"):
        api.send(http, "read", DOC, {})
    start = clock.monotonic()
    assert api.send(http, "read", DOC, {}) == {"ok": True}
    assert api.send(http, "read", DOC, {}) == {"ok": True}
    with pytest.raises(RejectedError):
        api.send(http, "read", DOC, {})
    assert clock.monotonic() == start and api.bucket.maximum is None

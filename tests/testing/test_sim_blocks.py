"""The simulator building blocks, exercised through real HTTP requests: in-process through
``api.transport()`` and over a socket through ``api.serve()``."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from orderhub.sdk.ratelimit import RateLimit, TokenBucket
from orderhub.testing.clock import FakeClock
from orderhub.testing.sim import (
    Fault,
    InvalidTokenError,
    LiveFeed,
    OAuth2TokenEndpoint,
    OrderStore,
    Route,
    ScaledClock,
    SimRecord,
    SimRequest,
    SimResponse,
    SimulatedApi,
    TokenPager,
    TokenStatus,
    copy_json,
    creation_times,
    deep_merge,
    modified_later,
    offset_slice,
    page_number_slice,
    route,
)

BASE = "https://pets.example"


class PetApi(SimulatedApi):
    """A small channel: OAuth tokens, a token-paged list, an item route and a few open
    routes for checking the plumbing."""

    base_path = "/api/v1"

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.oauth = OAuth2TokenEndpoint(
            clock, clients={"cid": "csecret"}, client_credentials_scopes={"pets:read"}
        )
        self.oauth.add_refresh_token("rt-1", "cid")
        self.pager = TokenPager("pets")
        self.pets = list(range(25))
        self.created: list[object] = []

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        status = self.oauth.check_request(request)
        if status is not TokenStatus.VALID:
            return self.error_response(401, "unauthorized", f"token {status.value}")
        return None

    @route("POST", "/token", operation="token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        return self.oauth.handle_token_request(request)

    @route("GET", "/pets", operation="listPets")
    def list_pets(self, request: SimRequest) -> SimResponse:
        page = self.pager.page(self.pets, request.param("next"), 10)
        return SimResponse.json(200, {"pets": page.items, "next": page.next_token})

    @route("GET", "/pets/{pet_id:int}", operation="getPet")
    def get_pet(self, request: SimRequest) -> SimResponse:
        return SimResponse.json(200, {"id": int(request.path_params["pet_id"])})

    @route("GET", "/open/{name}", auth=False)
    def open_route(self, request: SimRequest) -> SimResponse:
        return SimResponse.json(200, {"name": request.path_params["name"], "q": request.query})

    @route("POST", "/echo", operation="echo", auth=False)
    def echo(self, request: SimRequest) -> SimResponse:
        self.created.append(request.json())
        return SimResponse.json(201, {"created": request.json(), "n": len(self.created)})

    @route("GET", "/boom", auth=False)
    def boom(self, request: SimRequest) -> SimResponse:
        raise RuntimeError("simulator bug")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def api(clock: FakeClock) -> PetApi:
    return PetApi(clock)


@pytest.fixture(params=["in-process", "server"])
def client(request: pytest.FixtureRequest, api: PetApi) -> Iterator[httpx.Client]:
    """The same API reached both ways, so every test using it proves both paths agree."""
    if request.param == "in-process":
        with httpx.Client(transport=api.transport(), base_url=BASE) as c:
            yield c
    else:
        with api.serve() as server, httpx.Client(base_url=server.base_url) as c:
            yield c


def _token(client: httpx.Client) -> str:
    answer = client.post(
        "/api/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "rt-1",
            "client_id": "cid",
            "client_secret": "csecret",
        },
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


# -- routing and the request record --------------------------------------------------------------


def test_routes_path_params_and_unknown_routes(client: httpx.Client) -> None:
    answer = client.get("/api/v1/open/rex", params={"a": ["1", "2"], "b": ""})
    assert answer.json() == {"name": "rex", "q": {"a": ["1", "2"], "b": [""]}}
    assert client.get("/api/v1/open/rex/").status_code == 200  # trailing slash allowed
    assert client.get("/api/v1/nothing").status_code == 404
    assert client.delete("/api/v1/open/rex").status_code == 404  # wrong method
    token = _token(client)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/pets/7", headers=auth).json() == {"id": 7}
    assert client.get("/api/v1/pets/seven", headers=auth).status_code == 404  # int only


def test_every_request_is_recorded_with_its_auth_header(client: httpx.Client, api: PetApi) -> None:
    token = _token(client)
    client.get("/api/v1/pets", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/pets")  # refused, still recorded
    client.get("/api/v1/missing")

    assert [r.method for r in api.requests] == ["POST", "GET", "GET", "GET"]
    listed = api.requests_to("/pets", method="GET")
    assert [r.status for r in listed] == [200, 401]
    assert listed[0].headers["authorization"] == f"Bearer {token}"
    assert listed[0].operation == "listPets"
    assert api.requests_to("/api/v1/missing")[0].operation is None
    assert api.requests_to("/api/v1/missing")[0].status == 404
    assert api.requests[0].time == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    # printing a record never shows the credentials
    assert token not in repr(listed[0])
    assert "csecret" not in repr(api.requests[0])
    api.clear_requests()
    assert api.requests == []


def test_record_repr_masks_query_credentials(api: PetApi) -> None:
    with httpx.Client(transport=api.transport(), base_url=BASE) as c:
        c.get("/api/v1/open/x", params={"consumer_secret": "cs_live_123", "page": "2"})
    text = repr(api.requests[0])
    assert "cs_live_123" not in text
    assert "'page': ['2']" in text
    assert api.requests[0].param("consumer_secret") == "cs_live_123"  # still there for tests


def test_handler_bug_is_a_500_and_is_kept(client: httpx.Client, api: PetApi) -> None:
    answer = client.get("/api/v1/boom")
    assert answer.status_code == 500
    assert len(api.handler_errors) == 1
    assert isinstance(api.handler_errors[0], RuntimeError)


def test_request_body_reaches_the_handler(client: httpx.Client, api: PetApi) -> None:
    answer = client.post("/api/v1/echo", json={"note": "Shipped ✓"})
    assert answer.status_code == 201
    assert answer.json()["created"] == {"note": "Shipped ✓"}
    assert api.requests[-1].json() == {"note": "Shipped ✓"}


# -- faults ----------------------------------------------------------------------------------


def test_status_faults_with_and_without_retry_after(client: httpx.Client, api: PetApi) -> None:
    api.faults.add(Fault.status(429, retry_after=2), times=1, path="/open")
    api.faults.add(Fault.status(429), times=1, path="/open")
    first = client.get("/api/v1/open/a")
    second = client.get("/api/v1/open/a")
    third = client.get("/api/v1/open/a")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert first.json() == {"code": "too_many_requests", "message": "Too Many Requests"}
    assert second.status_code == 429
    assert "Retry-After" not in second.headers
    assert third.status_code == 200
    assert [r.fault for r in api.requests] == ["status 429 retry-after=2", "status 429", None]
    assert [r.status for r in api.requests] == [429, 429, 200]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_faults_fire_the_given_number_of_times(
    client: httpx.Client, api: PetApi, status: int
) -> None:
    rule = api.faults.add(Fault.status(status), times=2)
    codes = [client.get("/api/v1/open/a").status_code for _ in range(3)]
    assert codes == [status, status, 200]
    assert rule.fired == 2
    assert api.faults.pending == []


def test_faults_match_on_method_path_skip_and_predicate(client: httpx.Client, api: PetApi) -> None:
    api.faults.add(Fault.status(503), method="POST", path="/echo")
    api.faults.add(Fault.status(502), path="/api/v1/open", skip=1)
    api.faults.add(Fault.status(500), where=lambda r: r.param("page") == "3")
    assert client.get("/api/v1/open/a").status_code == 200  # skipped once
    assert client.get("/api/v1/open/a").status_code == 502
    assert client.get("/api/v1/open/a", params={"page": "2"}).status_code == 200
    assert client.get("/api/v1/open/a", params={"page": "3"}).status_code == 500
    assert client.post("/api/v1/echo", json={}).status_code == 503
    assert client.post("/api/v1/echo", json={}).status_code == 201


def test_fault_with_own_body(client: httpx.Client, api: PetApi) -> None:
    api.faults.add(Fault.status(503, body="<html>maintenance</html>", headers={"X-A": "1"}))
    answer = client.get("/api/v1/open/a")
    assert answer.status_code == 503
    assert answer.text == "<html>maintenance</html>"
    assert answer.headers["X-A"] == "1"


def test_respond_fault(client: httpx.Client, api: PetApi) -> None:
    api.faults.add(Fault.respond(SimResponse.json(200, {"errors": [{"code": "X"}]})))
    assert client.get("/api/v1/open/a").json() == {"errors": [{"code": "X"}]}


def test_timeout_in_process_raises_read_timeout(api: PetApi) -> None:
    api.faults.add(Fault.timeout())
    with httpx.Client(transport=api.transport(), base_url=BASE) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get("/api/v1/open/a")
        assert c.get("/api/v1/open/a").status_code == 200
    assert api.requests[0].status is None
    assert api.requests[0].fault == "timeout"


def test_timeout_on_the_server_drops_the_connection(api: PetApi) -> None:
    api.faults.add(Fault.timeout())
    with api.serve() as server, httpx.Client(base_url=server.base_url) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/api/v1/open/a")
        assert c.get("/api/v1/open/a").status_code == 200
    assert api.requests[0].status is None


def test_processed_timeout_does_the_work_and_loses_the_answer(api: PetApi) -> None:
    api.faults.add(Fault.timeout(processed=True), path="/echo")
    with httpx.Client(transport=api.transport(), base_url=BASE) as c:
        with pytest.raises(httpx.TimeoutException):
            c.post("/api/v1/echo", json={"tracking": "1Z"})
        retried = c.post("/api/v1/echo", json={"tracking": "1Z"})
    assert retried.json()["n"] == 2  # a blind retry duplicated the side effect
    assert api.created == [{"tracking": "1Z"}, {"tracking": "1Z"}]


def test_truncated_json_is_half_of_the_real_body(client: httpx.Client, api: PetApi) -> None:
    full = client.get("/api/v1/open/abcdefgh").content
    api.faults.add(Fault.truncated())
    answer = client.get("/api/v1/open/abcdefgh")
    assert answer.status_code == 200
    assert answer.content == full[: len(full) // 2]
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    assert api.requests[-1].fault == "truncated (json)"


def test_truncated_connection_is_a_protocol_error(client: httpx.Client, api: PetApi) -> None:
    api.faults.add(Fault.truncated(mode="connection"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/v1/open/abcdefgh")
    assert client.get("/api/v1/open/abcdefgh").status_code == 200


# -- rate limits -----------------------------------------------------------------------------


def test_rate_limit_is_enforced_per_operation_on_the_sim_clock(
    client: httpx.Client, api: PetApi, clock: FakeClock
) -> None:
    token = _token(client)
    auth = {"Authorization": f"Bearer {token}"}
    api.rate_limits.set("getPet", RateLimit(rate=0.5, burst=2))
    assert [client.get("/api/v1/pets/1", headers=auth).status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/v1/pets/1", headers=auth)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert api.requests[-1].throttled
    assert client.get("/api/v1/pets", headers=auth).status_code == 200  # other operation
    clock.advance(1.0)
    assert client.get("/api/v1/pets/1", headers=auth).status_code == 429
    clock.advance(1.0)
    assert client.get("/api/v1/pets/1", headers=auth).status_code == 200
    assert api.rate_limits.throttled == {"getPet": 2}
    assert api.rate_limits.limit_for("getPet") == RateLimit(rate=0.5, burst=2)
    api.rate_limits.clear("getPet")
    assert client.get("/api/v1/pets/1", headers=auth).status_code == 200


def test_client_pacing_with_the_same_bucket_is_never_throttled(
    api: PetApi, clock: FakeClock
) -> None:
    limit = RateLimit(rate=0.0167, burst=20)  # Amazon getOrders
    api.rate_limits.set("echo", limit)
    own = TokenBucket(limit, clock)
    with httpx.Client(transport=api.transport(), base_url=BASE) as c:
        codes = []
        for _ in range(40):
            own.acquire()  # sleeps on the FakeClock, so time moves
            codes.append(c.post("/api/v1/echo", json={}).status_code)
    assert codes == [201] * 40
    assert clock.slept > 0


def test_unpaced_client_is_throttled_exactly_after_the_burst(api: PetApi) -> None:
    api.rate_limits.set("echo", RateLimit(rate=1, burst=5))
    with httpx.Client(transport=api.transport(), base_url=BASE) as c:
        codes = [c.post("/api/v1/echo", json={}).status_code for _ in range(7)]
    assert codes == [201] * 5 + [429] * 2


# -- OAuth -----------------------------------------------------------------------------------


def test_oauth_issue_use_and_expire(client: httpx.Client, api: PetApi, clock: FakeClock) -> None:
    answer = client.post(
        "/api/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": "rt-1"},
        auth=("cid", "csecret"),  # client credentials by Basic auth
    )
    body = answer.json()
    assert answer.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["expires_in"] == 3600
    assert body["refresh_token"] == "rt-1"
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/pets", headers=auth).status_code == 200
    clock.advance(3599)
    assert client.get("/api/v1/pets", headers=auth).status_code == 200
    clock.advance(1)
    expired = client.get("/api/v1/pets", headers=auth)
    assert expired.status_code == 401
    assert expired.json()["message"] == "token expired"
    assert client.get("/api/v1/pets", headers={"Authorization": "Bearer nope"}).json()[
        "message"
    ] == ("token unknown")
    assert client.get("/api/v1/pets").json()["message"] == "token missing"
    assert api.oauth.token_requests == 1
    assert len(api.oauth.issued) == 1


def test_oauth_refusals(client: httpx.Client, api: PetApi) -> None:
    def ask(**form: str) -> httpx.Response:
        return client.post("/api/v1/token", data=form)

    good = {"client_id": "cid", "client_secret": "csecret"}
    bad_client = ask(
        grant_type="refresh_token", refresh_token="rt-1", client_id="cid", client_secret="x"
    )
    assert bad_client.status_code == 401
    assert bad_client.json()["error"] == "invalid_client"
    assert ask(refresh_token="rt-1", **good).json()["error"] == "invalid_request"
    assert ask(grant_type="refresh_token", **good).json()["error"] == "invalid_request"
    unknown = ask(grant_type="refresh_token", refresh_token="rt-other", **good)
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")
    assert ask(grant_type="password", **good).json()["error"] == "unsupported_grant_type"
    scoped = ask(grant_type="client_credentials", scope="pets:read", **good)
    assert scoped.status_code == 200
    assert "refresh_token" not in scoped.json()
    assert ask(grant_type="client_credentials", scope="pets:write", **good).json()["error"] == (
        "invalid_scope"
    )


def test_oauth_revoke(client: httpx.Client, api: PetApi) -> None:
    token = _token(client)
    api.oauth.revoke("rt-1")
    refused = client.post(
        "/api/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "rt-1",
            "client_id": "cid",
            "client_secret": "csecret",
        },
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid, revoked or expired.",
    }
    assert api.oauth.validate(token) is TokenStatus.UNKNOWN
    api.oauth.add_refresh_token("rt-1", "cid")  # the seller authorises again
    assert _token(client)


def test_oauth_custom_header_and_expire_all(clock: FakeClock) -> None:
    endpoint = OAuth2TokenEndpoint(clock, clients={"a": "b"}, access_token_prefix="Atza|")
    endpoint.add_refresh_token("r", "a")
    body = endpoint.handle_token_request(
        SimRequest(
            "POST",
            "/auth/o2/token",
            body=b"grant_type=refresh_token&refresh_token=r&client_id=a&client_secret=b",
        )
    ).parsed()
    token = body["access_token"]
    assert token.startswith("Atza|")
    request = SimRequest("GET", "/orders", headers={"x-amz-access-token": token})
    assert endpoint.check_request(request, header="x-amz-access-token") is TokenStatus.VALID
    assert endpoint.check_request(request) is TokenStatus.MISSING
    endpoint.expire_all()
    assert endpoint.check_request(request, header="x-amz-access-token") is TokenStatus.EXPIRED


# -- paging helpers --------------------------------------------------------------------------


def test_page_number_slice() -> None:
    items = list(range(25))
    page = page_number_slice(items, 3, 10)
    assert (page.items, page.total, page.total_pages) == ([20, 21, 22, 23, 24], 25, 3)
    assert page.has_prev and not page.has_next
    assert page_number_slice(items, 4, 10).items == []
    empty = page_number_slice([], 1, 10)
    assert (empty.total, empty.total_pages, empty.has_next) == (0, 0, False)
    with pytest.raises(ValueError):
        page_number_slice(items, 0, 10)


def test_offset_slice() -> None:
    items = list(range(25))
    first = offset_slice(items, 0, 10)
    assert (first.items[0], first.next_offset, first.prev_offset) == (0, 10, None)
    last = offset_slice(items, 20, 10)
    assert (last.items, last.next_offset, last.prev_offset) == ([20, 21, 22, 23, 24], None, 10)
    with pytest.raises(ValueError):
        offset_slice(items, -1, 10)


def test_token_pager_walks_and_refuses_foreign_tokens() -> None:
    pager = TokenPager("orders")
    items = list(range(23))
    seen: list[int] = []
    token: str | None = None
    while True:
        page = pager.page(items, token, 10, context="q1")
        seen.extend(page.items)
        if page.next_token is None:
            break
        token = page.next_token
    assert seen == items
    with pytest.raises(InvalidTokenError):
        pager.decode(pager.encode(10, "q1"), "q2")  # another query
    with pytest.raises(InvalidTokenError):
        TokenPager("other").decode(pager.encode(10))
    with pytest.raises(InvalidTokenError):
        pager.decode("!!not-a-token!!")


def test_token_pager_can_repeat_a_token() -> None:
    pager = TokenPager()
    items = list(range(30))
    first = pager.page(items, None, 10)
    pager.repeat_next_token()
    second = pager.page(items, first.next_token, 10)
    assert second.next_token == first.next_token  # the loop a client must detect
    again = pager.page(items, second.next_token, 10)
    assert again.next_token != first.next_token


def test_token_paging_over_http(client: httpx.Client, api: PetApi) -> None:
    auth = {"Authorization": f"Bearer {_token(client)}"}
    got: list[int] = []
    params: dict[str, str] = {}
    while True:
        body = client.get("/api/v1/pets", params=params, headers=auth).json()
        got.extend(body["pets"])
        if body["next"] is None:
            break
        params = {"next": body["next"]}
    assert got == api.pets


# -- orders that change over time ------------------------------------------------------------


def test_store_touch_bumps_modified_and_invalidates_queries(clock: FakeClock) -> None:
    store: OrderStore[SimRecord] = OrderStore(clock)
    now = store.now()
    for _ in range(3):
        store.add(SimRecord(store.next_id(), now, now, "open"))
    calls = 0

    def recent(record: SimRecord) -> bool:
        nonlocal calls
        calls += 1
        return record.modified > now

    assert store.query("recent", recent) == []
    assert store.query("recent", recent) == []
    assert calls == 3  # the second query came from the cache
    clock.advance(1.7)
    touched = store.touch(2)
    assert touched.modified == now + timedelta(seconds=1)  # whole seconds
    assert [r.id for r in store.query("recent", recent)] == [2]
    assert calls == 6
    with pytest.raises(KeyError):
        store.touch(99)
    with pytest.raises(ValueError):
        store.add(SimRecord(1, now, now, "open"))


def test_live_feed_is_seeded_and_timed(clock: FakeClock) -> None:
    def run(seed: int) -> list[tuple[str, datetime]]:
        local = FakeClock(clock.now())
        events: list[tuple[str, datetime]] = []
        feed = LiveFeed(
            local,
            on_new=lambda rng, when: events.append(("new", when)),
            on_change=lambda rng, when: events.append(("change", when)),
            new_per_hour=120,
            changes_per_hour=60,
            seed=seed,
        )
        start = local.now()
        for _ in range(6):
            local.advance(600)
            before = local.now()
            feed.catch_up()
            assert all(start < when <= before for _, when in events)
        assert feed.produced == len(events)
        return events

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    news = sum(1 for kind, _ in first if kind == "new")
    assert 80 <= news <= 170  # about 120 an hour
    assert [when for _, when in first] == sorted(when for _, when in first)


def test_start_live_feed_attaches_a_feed_caught_up_before_each_request(
    client: httpx.Client, api: PetApi, clock: FakeClock
) -> None:
    events: list[datetime] = []
    feed = api.start_live_feed(
        lambda rng, when: events.append(when),
        lambda rng, when: None,
        new_per_hour=3600,
        changes_per_hour=0,
        seed=3,
    )
    assert api.live_feed is feed
    clock.advance(120)
    assert events == [], "nothing happens until the simulator is asked something"
    client.get("/v1/open")
    assert len(events) == feed.produced > 0
    assert all(when <= clock.now() for when in events)


def test_store_moment_is_whole_seconds_or_now(clock: FakeClock) -> None:
    store: OrderStore[SimRecord] = OrderStore(clock)
    clock.advance(0.8)
    assert store.moment(None) == store.now() == whole(clock.now())
    given = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    assert store.moment(given) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        store.moment(datetime(2026, 1, 2))


def whole(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def test_store_pick_finds_an_accepted_record_or_gives_up(clock: FakeClock) -> None:
    store: OrderStore[SimRecord] = OrderStore(clock)
    now = store.now()
    for status in ("open", "closed", "closed", "open"):
        store.add(SimRecord(store.next_id(), now, now, status))
    ids = [1, 2, 3, 4, 99]  # 99 is not in the store: picked, then skipped
    rng = random.Random(5)
    picked = [store.pick(rng, ids, lambda r: r.status == "open") for _ in range(50)]
    assert {record.id for record in picked if record is not None} == {1, 4}
    assert store.pick(rng, ids, lambda r: r.status == "gone") is None
    assert store.pick(rng, [], lambda r: True) is None


def test_creation_times_are_seeded_sorted_and_inside_the_spread() -> None:
    now = datetime(2026, 1, 15, 12, tzinfo=UTC)
    times = creation_times(random.Random(1), 200, start=None, spread=timedelta(days=2), now=now)
    assert times == creation_times(
        random.Random(1), 200, start=None, spread=timedelta(days=2), now=now
    )
    assert times == sorted(times) and len(times) == 200
    assert all(now - timedelta(days=2) <= t < now and t.microsecond == 0 for t in times)
    start = datetime(2025, 6, 1, 8, 30, 15, 500_000, tzinfo=UTC)
    later = creation_times(random.Random(2), 50, start=start, spread=timedelta(hours=1), now=now)
    begin = start.replace(microsecond=0)
    assert all(begin <= t < begin + timedelta(hours=1) for t in later)


def test_modified_later_changes_about_a_share_and_never_after_now() -> None:
    rng = random.Random(4)
    now = datetime(2026, 1, 15, 12, tzinfo=UTC)
    created = [now - timedelta(hours=h) for h in range(1, 401)]
    modified = [modified_later(rng, c, now, within=timedelta(hours=6)) for c in created]
    changed = [(c, m) for c, m in zip(created, modified, strict=True) if m != c]
    assert 80 <= len(changed) <= 190  # about a third of 400
    assert all(
        c + timedelta(minutes=1) <= m <= min(now, c + timedelta(hours=6)) for c, m in changed
    )
    never = [modified_later(rng, c, now, within=timedelta(hours=6), share=0) for c in created]
    assert never == created


def test_copy_json_shares_nothing_and_deep_merge_merges_objects_only() -> None:
    original = {"a": {"b": [1, {"c": 2}]}, "d": "x"}
    copied = copy_json(original)
    assert copied == original
    copied["a"]["b"][1]["c"] = 3
    assert original["a"]["b"][1]["c"] == 2
    target = {"billing": {"city": "Gent", "postcode": "9000"}, "lines": [1, 2], "n": 1}
    deep_merge(target, {"billing": {"city": "Brugge"}, "lines": [3], "new": {"k": True}})
    assert target == {
        "billing": {"city": "Brugge", "postcode": "9000"},
        "lines": [3],
        "n": 1,
        "new": {"k": True},
    }


def test_scaled_clock(clock: FakeClock) -> None:
    scaled = ScaledClock(clock, speed=60, start=datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(2)
    assert scaled.now() == datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
    assert scaled.monotonic() == pytest.approx(120)
    scaled.sleep(60)
    assert clock.sleeps[-1] == pytest.approx(1)
    with pytest.raises(ValueError):
        ScaledClock(clock, speed=0)


# -- the server ------------------------------------------------------------------------------


def test_server_handles_concurrent_clients(api: PetApi) -> None:
    errors: list[BaseException] = []
    with api.serve() as server:

        def worker(n: int) -> None:
            try:
                with httpx.Client(base_url=server.base_url) as c:
                    for i in range(10):
                        assert c.get(f"/api/v1/open/w{n}-{i}").status_code == 200
            except BaseException as exc:  # collected and re-raised in the test thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert server.base_url.startswith("http://127.0.0.1:")
    assert errors == []
    assert len(api.requests) == 80
    server.stop()  # stopping twice is harmless


def test_run_time_routes_and_direct_handle(clock: FakeClock) -> None:
    api = SimulatedApi(clock)
    api.add_route("GET", "/health/{part}", lambda r: SimResponse.json(200, r.path_params))
    answer = api.handle(SimRequest("get", "/health/db"))
    assert (answer.status, answer.parsed()) == (200, {"part": "db"})
    assert api.handle(SimRequest("GET", "/x")).status == 404


def test_async_client_in_process(api: PetApi) -> None:
    import asyncio

    async def main() -> int:
        async with httpx.AsyncClient(transport=api.transport(), base_url=BASE) as c:
            return (await c.get("/api/v1/open/a")).status_code

    assert asyncio.run(main()) == 200

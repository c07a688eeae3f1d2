"""Tier 1 of the conformance kit: a connector checked from its recorded answers alone.

An author records what the channel answered (scrubbed real answers or the documentation's
examples), one folder per scenario below ``tests/recorded/``, one JSON file per answer in
the order they came, named so that they sort in that order (``01.json``, ``02.json``)::

    {"request": {"method": "GET", "path": "/orders"},
     "status": 200,
     "headers": {"X-WP-Total": "3"},
     "body": [...]}

Scenarios the kit reads: ``pages`` (a window over at least two pages of orders, required),
``empty`` (a window without orders, required) and ``check`` (the answer to ``check()``;
default: the first answer of ``pages``).

:class:`RecordedApi` serves them: a request gets the next answer of the playing scenario
recorded for its method and path (the query string is not compared: the window and the
paging cursor differ from the recording). Retries get the same answer again, because a
fault the kit injects (429 with or without ``Retry-After``, 5xx, a timeout, a body cut
short, a slow answer) is served *instead of* the answer, which stays next in line. A
request with no answer left is answered 404 and counted in ``unanswered``.

:class:`RecordedConformance` runs the contract, fetch, resilience, normalisation (golden
files and malformed fixtures included) and hygiene checks against it; no simulator is
written. The sync and push checks need state
(what has been shipped, what changed between two runs): they are Tier 2, run by
:class:`~orderhub.testing.kit.ConnectorConformance` with a stateful fake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import SyncWindow
from orderhub.sdk.errors import (
    AuthError,
    ConnectorError,
    PaginationLoopError,
    RejectedError,
    TransientError,
)
from orderhub.testing.kit.checks_normalization import check_golden_files, check_malformed_refused
from orderhub.testing.kit.golden import fixture_files
from orderhub.testing.kit.harness import Harness, LogCapture
from orderhub.testing.sim import Fault, SimRequest, SimResponse, SimulatedApi

__all__ = ["RecordedAnswer", "RecordedApi", "RecordedConformance", "load_scenarios"]

REQUIRED_SCENARIOS = ("pages", "empty")
_RETRY_AFTER = 7.0


@dataclass(frozen=True)
class RecordedAnswer:
    """One recorded answer: the request it answered (method and path) and the response."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: Any
    source: str

    def response(self) -> SimResponse:
        if self.body is None:
            return SimResponse.empty(self.status, headers=dict(self.headers))
        return SimResponse.json(self.status, self.body, headers=dict(self.headers))

    def records(self) -> list[dict[str, Any]]:
        """Every JSON object in the body that looks like a record (has an id-like key), for
        checks that match what the connector yielded against what was served."""
        found: list[dict[str, Any]] = []
        _objects(self.body, found)
        return found


def _objects(value: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                found.append(item)
            _objects(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _objects(item, found)


def load_scenarios(folder: Path) -> dict[str, list[RecordedAnswer]]:
    """Every scenario below ``folder``: its answers in file-name order. Raises ValueError
    naming the file and the problem for a file that is not a recorded answer."""
    if not folder.is_dir():
        raise ValueError(f"recorded_dir {folder} is not a directory")
    scenarios: dict[str, list[RecordedAnswer]] = {}
    for scenario in sorted(p for p in folder.iterdir() if p.is_dir()):
        answers = []
        for path in sorted(scenario.glob("*.json")):
            try:
                data = json.loads(path.read_text("utf-8"))
                request = data["request"]
                answers.append(
                    RecordedAnswer(
                        method=str(request.get("method", "GET")).upper(),
                        path="/" + str(request["path"]).lstrip("/"),
                        status=int(data.get("status", 200)),
                        headers={str(k): str(v) for k, v in data.get("headers", {}).items()},
                        body=data.get("body"),
                        source=f"{scenario.name}/{path.name}",
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ValueError(
                    f"{path}: not a recorded answer ({exc!r}); it needs "
                    '{"request": {"method": ..., "path": ...}, "status": ..., "headers": '
                    '{...}, "body": ...}'
                ) from None
        if answers:
            scenarios[scenario.name] = answers
    missing = [name for name in REQUIRED_SCENARIOS if name not in scenarios]
    if missing:
        raise ValueError(
            f"{folder} has no recorded scenario {', '.join(missing)}: record a window over at "
            "least two pages as pages/, and a window without orders as empty/"
        )
    return scenarios


class RecordedApi(SimulatedApi):
    """A generic fake channel serving recorded answers (see the module docstring).

    ``play(name)`` starts a scenario from its first answer. Faults are injected with
    ``api.faults`` like on any simulator; ``slow`` answers are a ``Fault.timeout()``.
    """

    def __init__(self, clock: Clock, scenarios: Mapping[str, list[RecordedAnswer]]) -> None:
        super().__init__(clock)
        self.scenarios = dict(scenarios)
        self.playing = "pages"
        self.served: list[RecordedAnswer] = []
        self.unanswered: list[str] = []
        self._next: dict[tuple[str, str], int] = {}

    def play(self, name: str) -> None:
        if name not in self.scenarios:
            pytest.skip(f"no recorded scenario {name!r}")
        self.playing = name
        self._next = {}

    def list_path(self) -> str:
        """The path the ``pages`` scenario's answers were recorded for."""
        return self.scenarios["pages"][0].path

    def answers(self, name: str | None = None) -> list[RecordedAnswer]:
        return self.scenarios[name or self.playing]

    def no_route(self, request: SimRequest) -> SimResponse:
        key = (request.method, "/" + request.path.lstrip("/"))
        for name in (self.playing, "check", "pages"):
            answers = [a for a in self.scenarios.get(name, []) if (a.method, a.path) == key]
            if not answers:
                continue
            if name != self.playing:
                # A call outside the scenario (check(), a detail read): its first answer.
                self.served.append(answers[0])
                return answers[0].response()
            index = self._next.get(key, 0)
            if index >= len(answers):
                break
            self._next[key] = index + 1
            self.served.append(answers[index])
            return answers[index].response()
        self.unanswered.append(f"{request.method} {request.path}")
        return SimResponse.json(
            404, {"error": "not_recorded", "message": f"no recorded answer left in {self.playing}"}
        )


@dataclass
class _Fetched:
    records: list[dict[str, Any]] = field(default_factory=list)


class RecordedConformance:
    """Base class of a connector's Tier 1 test class: about ten lines. Not collected.

    Declare ``connector_class``, ``settings`` (fake secrets of 8 characters or more),
    ``recorded_dir`` (the scenarios folder) and ``fixtures_dir`` (raw orders with their
    golden files, as for :class:`~orderhub.testing.kit.ConnectorConformance`).
    """

    __test__: ClassVar[bool] = False

    connector_class: ClassVar[type[Any]]
    settings: ClassVar[Mapping[str, Any]] = {}
    recorded_dir: ClassVar[Path]
    fixtures_dir: ClassVar[Path | None] = None
    golden_dir: ClassVar[Path | None] = None
    account_id: ClassVar[str] = "conformance"
    start_time: ClassVar[datetime] = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    sim_base_url: ClassVar[str] = "https://channel.example"
    readme: ClassVar[Path | None] = None
    # What Harness reads from the suite (the recorded fake needs nothing of the rest).
    page_size_hint: ClassVar[int | None] = None
    list_path: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__test__" not in cls.__dict__:
            cls.__test__ = True

    # -- the fake ----------------------------------------------------------------------------

    def make_api(self, clock: Clock) -> RecordedApi:
        try:
            return RecordedApi(clock, load_scenarios(self.recorded_dir))
        except ValueError as exc:
            pytest.fail(str(exc), pytrace=False)

    def base_url_settings(self, base_url: str) -> dict[str, Any]:
        from orderhub.testing.kit.base import ConformanceBase

        return ConformanceBase.base_url_settings(self, base_url)  # type: ignore[arg-type]

    @pytest.fixture
    def recorded(self) -> Iterator[Harness]:
        harness = Harness(self)  # type: ignore[arg-type]
        try:
            yield harness
        finally:
            harness.close()

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _api(harness: Harness) -> RecordedApi:
        api = harness.api
        assert isinstance(api, RecordedApi)
        return api

    def _window(self, harness: Harness) -> SyncWindow:
        return harness.window(timedelta(days=2), timedelta(days=1))

    def _fetch(self, harness: Harness, scenario: str = "pages") -> list[dict[str, Any]]:
        self._api(harness).play(scenario)
        return harness.fetch(self._window(harness))

    def _list_requests(self, harness: Harness) -> list[Any]:
        path = self._api(harness).list_path()
        return [r for r in harness.api.requests if "/" + r.path.lstrip("/") == path]

    def _add_fault(self, harness: Harness, fault: Fault, **options: Any) -> Any:
        path = self._api(harness).list_path()
        return harness.api.faults.add(fault, path=path, **options)

    # -- fetch -------------------------------------------------------------------------------

    def test_fetch_reads_every_recorded_page(self, recorded: Harness) -> None:
        """Every page of ``pages/`` is requested, and records of each come back once."""
        got = self._fetch(recorded)
        api = self._api(recorded)
        pages = [a for a in api.answers("pages") if a.path == api.list_path()]
        served = [a for a in api.served if a.path == api.list_path()]
        assert len(served) >= len(pages), (
            f"{len(served)} of the {len(pages)} recorded pages were requested: every page "
            "must be read (or the recording has more pages than the connector asks for)"
        )
        for page in pages:
            records = page.records()
            if records and not any(record in got for record in records):
                pytest.fail(
                    f"no record of {page.source} came back from fetch_orders", pytrace=False
                )
        ids = [json.dumps(r, sort_keys=True) for r in got]
        assert len(ids) == len(set(ids)), "a record was yielded twice"

    def test_fetch_sends_the_window_to_the_api(self, recorded: Harness) -> None:
        """The first list request carries the window's start (not a second later) and
        end, in one of the usual time formats, and not as a creation-time filter."""
        self._fetch(recorded)
        window = self._window(recorded)
        first = self._list_requests(recorded)[0]
        sent = {**first.query}
        text = " ".join(f"{k}={v}" for k, v in sent.items()) + " " + first.path
        # A connector may start a little early (channels that compare strictly), never late.
        early = [window.start - timedelta(seconds=k) for k in range(61)]
        for edge, moments in (("start", early), ("end", [window.end])):
            forms = [form for moment in moments for form in _time_forms(moment)]
            if not any(form in text for form in forms):
                pytest.fail(
                    f"the list request does not carry window.{edge} ({forms[0]}): send the "
                    f"window to the API as its modified-since/until filter; sent: {text[:300]}",
                    pytrace=False,
                )
        start_forms = [form for moment in early for form in _time_forms(moment)]
        for name, value in sent.items():
            if any(form in str(value) for form in start_forms) and "creat" in name.lower():
                pytest.fail(
                    f"window.start is sent as {name!r}, a creation-time filter: a changed "
                    "order created before the window would be missed; filter on the "
                    "last-modified time",
                    pytrace=False,
                )

    def test_fetch_detects_a_repeated_page(self, recorded: Harness) -> None:
        """The second page answered with the first ends in PaginationLoopError."""
        self._api(recorded).play("pages")
        recorded.transport.replay_next_page(self._api(recorded).list_path())
        with pytest.raises(PaginationLoopError):
            recorded.fetch(self._window(recorded), limit=50)

    def test_fetch_empty_window_yields_nothing(self, recorded: Harness) -> None:
        """The ``empty/`` scenario yields no record and does not fail."""
        got = self._fetch(recorded, "empty")
        assert got == [], f"fetch_orders yielded {len(got)} record(s) for an empty window"

    # -- resilience --------------------------------------------------------------------------

    def test_resilience_429_waits_for_retry_after(self, recorded: Harness) -> None:
        """After a 429 with ``Retry-After: 7`` the next request waits at least 7 seconds."""
        wait = min(_RETRY_AFTER, self.connector_class.retry_policy.max_retry_after)
        self._add_fault(recorded, Fault.status(429, retry_after=wait), times=1)
        expected = self._fetch(recorded)
        assert expected, "the pages scenario yielded nothing after a 429"
        requests = self._list_requests(recorded)
        waited = (requests[1].time - requests[0].time).total_seconds()
        assert waited >= wait, f"retried {waited:g} s after a 429 with Retry-After: {wait:g}"

    def test_resilience_429_without_retry_after_is_retried_after_a_pause(
        self, recorded: Harness
    ) -> None:
        """A 429 without ``Retry-After`` is retried after a pause; the fetch completes."""
        self._add_fault(recorded, Fault.status(429), times=1)
        assert self._fetch(recorded)
        requests = self._list_requests(recorded)
        assert (requests[1].time - requests[0].time).total_seconds() > 0

    def test_resilience_5xx_timeouts_and_truncation_are_retried(self, recorded: Harness) -> None:
        """A 503, a slow answer (timeout) and a body cut short are retried; every record
        of the window still comes, once."""
        clean = self._fetch(recorded)
        recorded.api.clear_requests()
        self._add_fault(recorded, Fault.status(503), times=1)
        self._add_fault(recorded, Fault.timeout(), times=1, skip=1)
        self._add_fault(recorded, Fault.truncated(), times=1, skip=2)
        again = self._fetch(recorded)
        assert again == clean, "the records differ after a 503, a timeout and a cut body"

    def test_resilience_5xx_is_given_up_after_the_retry_policy(self, recorded: Harness) -> None:
        """A persistent 503 raises TransientError after ``retry_policy.max_attempts``."""
        self._add_fault(recorded, Fault.status(503), times=None)
        with pytest.raises(TransientError):
            self._fetch(recorded)
        attempts = self.connector_class.retry_policy.max_attempts
        assert len(self._list_requests(recorded)) == attempts

    def test_resilience_other_4xx_is_not_retried(self, recorded: Harness) -> None:
        """A 400 raises RejectedError after exactly one request; a 401 AuthError."""
        self._add_fault(recorded, Fault.status(400), times=None)
        with pytest.raises(RejectedError):
            self._fetch(recorded)
        assert len(self._list_requests(recorded)) == 1
        recorded.api.faults.clear()
        self._add_fault(recorded, Fault.status(401), times=None)
        with pytest.raises(AuthError):
            self._fetch(recorded)

    # -- normalisation and hygiene ------------------------------------------------------------

    def test_normalization_recorded_records_are_valid_and_pure(self, recorded: Harness) -> None:
        """Every record fetched from the recordings normalises, the same way twice."""
        from orderhub.sdk.drafts import validate_order

        raws = self._fetch(recorded)
        connector = recorded.connector()
        for raw in raws:
            first, second = connector.to_order(raw), connector.to_order(raw)
            assert first == second, "to_order gave two different drafts for one record"
            problems = validate_order(first)
            assert not problems, f"order {first.external_id}: {'; '.join(problems)}"

    def _fixture_files(self) -> tuple[list[Path], list[Path]]:
        if self.fixtures_dir is None:
            return [], []
        if not self.fixtures_dir.is_dir():
            pytest.fail(f"fixtures_dir {self.fixtures_dir} is not a directory", pytrace=False)
        return fixture_files(self.fixtures_dir)

    def test_normalization_golden_files_match(
        self, recorded: Harness, request: pytest.FixtureRequest
    ) -> None:
        """Each fixture's draft equals its golden file (``--update-golden`` rewrites them)."""
        valid, _malformed = self._fixture_files()
        golden_dir = self.golden_dir or (self.fixtures_dir or Path()).parent / "golden"
        check_golden_files(recorded.connector(), valid, golden_dir, request)

    def test_normalization_malformed_fixtures_are_refused(self, recorded: Harness) -> None:
        """Each ``malformed_*.json`` fixture is refused (raises, or gives an invalid draft)."""
        check_malformed_refused(recorded.connector(), self._fixture_files()[1])

    def test_hygiene_logs_and_errors_carry_no_secret(self, recorded: Harness) -> None:
        """The log output of a check and of a fetch with a throttled and a failed request,
        and the error raised for an answer echoing the request, show no secret in any
        encoding (raw, URL-encoded, base64, JSON-escaped)."""
        from orderhub.testing.kit.checks_hygiene import _decoded_forms

        capture = LogCapture()
        errors: list[str] = []
        with capture.capturing():
            connector = recorded.connector()
            connector.check()
            self._add_fault(recorded, Fault.status(429, retry_after=2), times=1)
            self._add_fault(recorded, Fault.status(503), times=1, skip=1)
            self._api(recorded).play("pages")
            recorded.fetch(self._window(recorded), connector)
            recorded.transport.echo_next()
            try:
                self._fetch(recorded)
            except ConnectorError as exc:
                errors = [exc.message, exc.fix or ""]
        leaks = []
        texts = [json.dumps(event, ensure_ascii=False) for event in capture.events] + errors
        for text in texts:
            forms = [text, *_decoded_forms(text)]
            for name, value in recorded.secrets.items():
                if any(value in form for form in forms):
                    leaks.append(f"{text[:120]} shows the secret setting {name!r}")
        assert not leaks, "secrets in the log output or errors:\n" + "\n".join(leaks[:10])


def _time_forms(moment: datetime) -> list[str]:
    """``moment`` (UTC) as channels take it: ISO with Z, with an offset, with milliseconds,
    without a zone, and Unix seconds and milliseconds; raw and percent-encoded."""
    from urllib.parse import quote

    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    forms = [
        base + "Z",
        base + "+00:00",
        base + f".{moment.microsecond // 1000:03d}Z",
        base,
        str(int(moment.timestamp())),
        str(int(moment.timestamp() * 1000)),
    ]
    return forms + [quote(form, safe="") for form in forms]

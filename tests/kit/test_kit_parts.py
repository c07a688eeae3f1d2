"""The kit's parts on their own: collection rules of the base class, the transport switches,
the guarded clock and transport, spread_times, the golden-file format (shared with the
connectors' own mapping tests) and ``--update-golden``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from orderhub.sdk import ConnectorContext
from orderhub.testing import FakeClock
from orderhub.testing.kit import (
    ConnectorConformance,
    GuardedClock,
    GuardedTransport,
    ImpureCall,
    KitTransport,
    RequestLimitExceeded,
    SimulatedCrash,
    load_fixture,
    render_golden,
    spread_times,
)
from orderhub.testing.scaffold import create_connector
from orderhub.testing.sim import SimRequest, SimResponse, SimulatedApi, route
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

REPO = Path(__file__).resolve().parents[2]
WOO_TESTS = REPO / "connectors" / "woocommerce" / "tests"


class Pages(SimulatedApi):
    """Three numbered pages at /api/items."""

    base_path = "/api"

    @route("GET", "/items")
    def items(self, request: SimRequest) -> SimResponse:
        page = int(request.param("page", "1") or "1")
        return SimResponse.json(200, {"page": page, "next": page + 1 if page < 3 else None})


def client(transport: httpx.BaseTransport) -> httpx.Client:
    return httpx.Client(transport=transport, base_url="https://sim.example/api/")


# -- collection ---------------------------------------------------------------------------


def test_the_base_class_is_not_collected_and_subclasses_are_whatever_their_name() -> None:
    class Shared(ConnectorConformance):
        __test__ = False

    class ForMyShop(Shared):
        pass

    assert ConnectorConformance.__test__ is False
    assert Shared.__test__ is False, "an intermediate base keeps its own choice"
    assert ForMyShop.__test__ is True


# -- the kit's transport ------------------------------------------------------------------


def test_crash_after_stops_before_sending_the_next_request() -> None:
    api = Pages(FakeClock())
    transport = KitTransport(api)
    transport.crash_after = 2
    with client(transport) as http:
        http.get("items", params={"page": 1})
        http.get("items", params={"page": 2})
        with pytest.raises(SimulatedCrash):
            http.get("items", params={"page": 3})
    assert [r.param("page") for r in api.requests] == ["1", "2"]
    assert not isinstance(SimulatedCrash(), Exception), "no `except Exception` may catch it"


def test_limit_raises_once_the_budget_is_spent() -> None:
    transport = KitTransport(Pages(FakeClock()))
    transport.limit = 1
    with client(transport) as http:
        http.get("items")
        with pytest.raises(RequestLimitExceeded):
            http.get("items")


def test_replay_answers_the_second_request_with_the_first_answer_once() -> None:
    api = Pages(FakeClock())
    transport = KitTransport(api)
    transport.replay_next_page("/items")
    with client(transport) as http:
        bodies = [http.get("items", params={"page": n}).json() for n in (1, 2, 3)]
    assert [b["page"] for b in bodies] == [1, 1, 3]
    assert transport.replayed == 1
    assert [r.param("page") for r in api.requests] == ["1", "2", "3"], "all reach the sim"


# -- purity guards ------------------------------------------------------------------------


def test_the_guarded_clock_fails_only_while_armed() -> None:
    clock = GuardedClock(FakeClock())
    clock.now()
    with clock.armed(), pytest.raises(ImpureCall, match=r"clock\.now\(\)"):
        clock.now()
    clock.sleep(1)


def test_the_guarded_transport_fails_only_while_armed() -> None:
    transport = GuardedTransport(KitTransport(Pages(FakeClock())))
    with client(transport) as http:
        http.get("items")
        with transport.armed(), pytest.raises(ImpureCall, match="GET /api/items"):
            http.get("items")


# -- spread_times -------------------------------------------------------------------------


def test_spread_times_are_whole_seconds_inside_the_range_oldest_first() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(hours=1)
    times = spread_times(start, end, 7)
    assert len(times) == 7 and times == sorted(times)
    assert all(start <= t < end and t.microsecond == 0 for t in times)
    assert len(set(times)) == 7
    assert spread_times(start, end, 0) == []


# -- golden files -------------------------------------------------------------------------


def test_golden_files_are_the_same_files_the_mapping_tests_read() -> None:
    connector = WooCommerceConnector(
        ConnectorContext(
            account_id="shop",
            settings=WooCommerceSettings(
                base_url="https://shop.example.com", consumer_key="ck_x", consumer_secret="cs_x"
            ),
            clock=FakeClock(),
            log=structlog.get_logger(),
            transport=httpx.MockTransport(lambda request: httpx.Response(500)),
        )
    )
    try:
        for golden in sorted((WOO_TESTS / "golden").glob("*.json")):
            draft = connector.to_order(load_fixture(WOO_TESTS / "fixtures" / golden.name))
            assert render_golden(draft) == golden.read_text(encoding="utf-8"), golden.name
    finally:
        connector.close()


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "ORDERHUB_"))}
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "petshop", "-p", "no:cacheprovider", "-q", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_update_golden_rewrites_the_golden_files_and_a_changed_one_fails(tmp_path: Path) -> None:
    create_connector("petshop", tmp_path)
    golden = tmp_path / "petshop" / "tests" / "golden"
    original = (golden / "order_paid.json").read_text(encoding="utf-8")
    changed: dict[str, Any] = json.loads(original)
    changed["total"] = "99.99"
    (golden / "order_paid.json").write_text(json.dumps(changed, indent=2) + "\n", "utf-8")
    (golden / "order_shipped_jpy.json").unlink()
    (golden / "orphan.json").write_text("{}\n", encoding="utf-8")

    failing = _pytest(tmp_path, "-k", "golden")
    assert failing.returncode == 1, failing.stdout[-3000:]
    for words in ('-  "total": "99.99"', "no golden file", "golden files without a fixture"):
        assert words in failing.stdout, failing.stdout[-3000:]

    (golden / "orphan.json").unlink()
    updated = _pytest(tmp_path, "-k", "golden", "--update-golden")
    assert updated.returncode == 0, updated.stdout[-3000:]
    assert (golden / "order_paid.json").read_text(encoding="utf-8") == original
    assert (golden / "order_shipped_jpy.json").exists()
    assert _pytest(tmp_path, "-k", "golden").returncode == 0

"""Tier 1 and Tier 2 of the kit can fail: each broken WooCommerce variant
(``recorded_cases.py``) fails exactly the check named for its bug, the real connector none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orderhub.testing.kit import RecordedConformance, StatefulConformance

from .test_kit_fails_broken_connectors import Outcomes, _read_report, failed

HERE = Path(__file__).parent
TIER1_TESTS = sorted(name for name in dir(RecordedConformance) if name.startswith("test_"))
TIER2_TESTS = sorted(name for name in dir(StatefulConformance) if name.startswith("test_"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    root = tmp_path_factory.mktemp("recorded-cases")
    shutil.copy(HERE / "recorded_cases.py", root / "test_recorded_cases.py")
    (root / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n", encoding="utf-8"
    )
    report = root / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "test_recorded_cases.py", f"--junitxml={report}", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), completed.stdout[-3000:]
    return _read_report(report)


def test_the_real_connector_passes_every_recorded_check(outcomes: Outcomes) -> None:
    assert {o.test for o in outcomes["TestReference"]} == set(TIER1_TESTS)
    assert failed(outcomes, "TestReference") == set()


@pytest.mark.parametrize(
    ("case", "expected", "words"),
    [
        ("TestDropsTheWindow", {"test_fetch_sends_the_window_to_the_api"}, "window.start"),
        (
            "TestFiltersOnCreation",
            {"test_fetch_sends_the_window_to_the_api"},
            "creation-time filter",
        ),
        ("TestIgnoresRetryAfter", {"test_resilience_429_waits_for_retry_after"}, "Retry-After"),
        (
            "TestLogsItsSecretEncoded",
            {"test_hygiene_logs_and_errors_carry_no_secret"},
            "shows the secret setting 'consumer_secret'",
        ),
    ],
)
def test_a_broken_connector_fails_exactly_its_recorded_check(
    outcomes: Outcomes, case: str, expected: set[str], words: str
) -> None:
    assert failed(outcomes, case) == expected
    messages = [o.message for o in outcomes[case] if o.result == "failed"]
    assert any(words in message for message in messages), messages


def test_the_real_connector_passes_every_stateful_check(outcomes: Outcomes) -> None:
    assert {o.test for o in outcomes["TestStatefulReference"]} == set(TIER2_TESTS)
    assert failed(outcomes, "TestStatefulReference") == set()


@pytest.mark.parametrize(
    ("case", "expected", "words"),
    [
        (
            "TestStatefulPushesANoteEveryTime",
            {
                "test_push_again_is_already_applied",
                "test_push_retried_after_a_lost_response_creates_no_second_shipment",
                # The same bug: pushing the first partial shipment again adds a note.
                "test_push_partial_shipments_ship_only_their_lines",
            },
            "2 shipments on the channel",
        ),
        (
            "TestStatefulLabelsQuarantineWithoutTheId",
            {"test_sync_malformed_record_is_quarantined"},
            "make external_id(raw)",
        ),
        (
            "TestStatefulDedupesByOrder",
            {"test_push_partial_shipments_ship_only_their_lines"},
            "not by its order",
        ),
        (
            "TestStatefulCompletesOnPartial",
            {"test_push_partial_shipments_ship_only_their_lines"},
            "only when shipment.completes_order is true",
        ),
        (
            "TestStatefulReadsOnlyProcessingOrders",
            {"test_sync_order_changed_between_runs_is_updated"},
            "the window must catch orders modified since the last run",
        ),
    ],
)
def test_a_broken_connector_fails_exactly_its_stateful_check(
    outcomes: Outcomes, case: str, expected: set[str], words: str
) -> None:
    assert failed(outcomes, case) == expected
    messages = [o.message for o in outcomes[case] if o.result == "failed"]
    assert any(words in message for message in messages), messages

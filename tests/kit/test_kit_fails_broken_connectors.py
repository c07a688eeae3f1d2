"""The conformance kit can fail: run against deliberately broken connectors, the standard
test named for each bug fails (and nothing else does), while the reference connector passes
every standard test.

The reference connector is what ``orderhub connectors new petshop`` generates; the broken
variants (``broken_connectors.py``) subclass it with one bug each, and ``petshop_cases.py``
declares one conformance class per variant, each running the whole kit against the kit's
declared fake channel built from the scaffold's recorded answers (no simulator). All of it
runs in one pytest subprocess in a temporary directory (the generated package exists only
there); the JUnit XML report gives the outcome of every test of every class.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from orderhub.testing.kit import ConnectorConformance, RecordedConformance, StatefulConformance
from orderhub.testing.scaffold import create_connector

HERE = Path(__file__).parent
STANDARD_TESTS = sorted(name for name in dir(ConnectorConformance) if name.startswith("test_"))
TIER1_TESTS = sorted(name for name in dir(RecordedConformance) if name.startswith("test_"))
TIER2_TESTS = sorted(name for name in dir(StatefulConformance) if name.startswith("test_"))
# Tests the reference connector may skip here, and why: the generated package is not
# installed in that directory, and PostgreSQL runs only when the environment names a server.
ALLOWED_SKIPS = ("is not registered yet", "ORDERHUB_TEST_DATABASE_URL is not set")

# The inner run holds a whole conformance suite per case: longer than the default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass(frozen=True)
class Outcome:
    test: str  # the standard test's name, without parameters
    result: str  # passed | failed | skipped
    message: str


Outcomes = dict[str, list[Outcome]]


def _read_report(path: Path) -> Outcomes:
    outcomes: Outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        cls = case.get("classname", "").rsplit(".", 1)[-1]
        name = re.sub(r"\[.*\]$", "", case.get("name", ""))
        result, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            found = case.find(tag)
            if found is not None:
                result = "skipped" if tag == "skipped" else "failed"
                message = f"{found.get('message', '')}\n{found.text or ''}"
                break
        outcomes.setdefault(cls, []).append(Outcome(name, result, message))
    return outcomes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    root = tmp_path_factory.mktemp("kit-cases")
    create_connector("petshop", root)
    shutil.copy(HERE / "broken_connectors.py", root / "broken_connectors.py")
    shutil.copy(HERE / "petshop_cases.py", root / "test_petshop_cases.py")
    readme = (root / "petshop" / "README.md").read_text(encoding="utf-8")
    (root / "README_WITH_TODO.md").write_text(
        readme + "\n- Returns: TODO find out how the channel reports returns.\n", encoding="utf-8"
    )
    (root / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n", encoding="utf-8"
    )
    report = root / "report.xml"
    # The bugs here are not about the database, and the reference connector's sync tests run
    # on PostgreSQL in test_scaffold.py: SQLite alone keeps this run short.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k != "ORDERHUB_TEST_DATABASE_URL"
    }
    targets = ["test_petshop_cases.py", "petshop/tests/test_conformance.py"]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *targets, f"--junitxml={report}", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), f"the inner pytest run did not report:\n{completed.stdout[-3000:]}"
    return _read_report(report)


def failed(outcomes: Outcomes, case: str) -> set[str]:
    return {o.test for o in outcomes[case] if o.result == "failed"}


def test_the_reference_connector_passes_every_standard_test(outcomes: Outcomes) -> None:
    reference = outcomes["TestReference"]
    assert {o.test for o in reference} == set(STANDARD_TESTS)
    assert failed(outcomes, "TestReference") == set(), [
        o.message[:500] for o in reference if o.result == "failed"
    ]
    for outcome in reference:
        if outcome.result == "skipped":
            assert any(reason in outcome.message for reason in ALLOWED_SKIPS), outcome


def test_the_generated_test_classes_pass_unchanged(outcomes: Outcomes) -> None:
    for case, tests in (("TestPetshopRecorded", TIER1_TESTS), ("TestPetshopStateful", TIER2_TESTS)):
        generated = outcomes[case]
        assert {o.test for o in generated} == set(tests), case
        assert not [o.message[:500] for o in generated if o.result == "failed"], case


def test_the_kit_replays_a_page_when_the_test_class_cannot_repeat_one(
    outcomes: Outcomes,
) -> None:
    assert failed(outcomes, "TestReferenceWithKitReplay") == set()
    assert failed(outcomes, "TestLoopsOnARepeatedTokenWithKitReplay") == {
        "test_fetch_detects_a_repeated_page"
    }


# Each broken variant, the standard tests it must fail, and words its failure must show.
BROKEN = {
    "ignores Retry-After": (
        "TestIgnoresRetryAfter",
        {"test_resilience_429_waits_for_retry_after"},
        "honour Retry-After",
    ),
    "drops the window": (
        "TestDropsTheWindow",
        {"test_fetch_sends_the_window_to_the_api", "test_fetch_empty_window_yields_nothing"},
        "modified outside the window",
    ),
    "loops on a repeated token": (
        "TestLoopsOnARepeatedToken",
        {"test_fetch_detects_a_repeated_page"},
        "went on without noticing",
    ),
    "to_order reads the clock": (
        "TestToOrderReadsTheClock",
        {"test_normalization_to_order_is_pure"},
        "read the clock",
    ),
    "logs its secret": (
        "TestLogsItsSecret",
        {"test_hygiene_logs_carry_no_secret_and_no_buyer_pii"},
        "shows the secret setting 'api_token'",
    ),
    "push creates a duplicate on retry": (
        "TestPushDuplicatesOnRetry",
        {
            "test_push_retried_after_a_lost_response_creates_no_second_shipment",
            "test_push_again_is_already_applied",
        },
        "2 shipments on the channel",
    ),
    "misses the window's start": (
        "TestMissesTheWindowStart",
        {"test_fetch_reads_orders_exactly_at_the_window_edges"},
        "exactly at window.start",
    ),
    "filters on creation time": (
        "TestFiltersOnCreation",
        {"test_fetch_reads_an_order_created_long_before_the_window"},
        "filter on the last-modified time",
    ),
    "logs Basic credentials": (
        "TestLogsBasicCredentials",
        {"test_hygiene_logs_carry_no_secret_and_no_buyer_pii"},
        "shows the secret setting 'api_token', encoded",
    ),
    "echoes credentials in its errors": (
        "TestEchoesCredentialsInErrors",
        {"test_hygiene_logs_carry_no_secret_and_no_buyer_pii"},
        "the error raised for an echoing 400 answer shows the secret setting 'api_token'",
    ),
    "README with a to-do left": (
        "TestReadmeWithTodo",
        {"test_contract_readme_has_no_todo_left"},
        "Returns: TODO",
    ),
    "sends under an undeclared operation": (
        "TestSendsUnderAnUndeclaredOperation",
        {"test_resilience_declared_rate_limit_is_respected"},
        "refused",
    ),
}


@pytest.mark.parametrize("bug", sorted(BROKEN))
def test_a_broken_connector_fails_the_standard_test_named_for_its_bug(
    outcomes: Outcomes, bug: str
) -> None:
    case, expected, words = BROKEN[bug]
    assert failed(outcomes, case) == expected
    messages = [o.message for o in outcomes[case] if o.result == "failed"]
    assert any(words in message for message in messages), messages

"""The normalisation group: ``to_order`` is pure, its drafts are valid, the golden files
match and malformed fixtures are refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from orderhub.sdk.connector import Connector
from orderhub.sdk.drafts import validate_order
from orderhub.testing.kit.base import (
    ConformanceBase,
    _fail,
    _to_order_or_none,
)
from orderhub.testing.kit.golden import (
    diff_text,
    load_fixture,
    render_golden,
    update_golden_requested,
    write_golden,
)
from orderhub.testing.kit.guards import (
    GuardedClock,
    GuardedTransport,
    ImpureCall,
)
from orderhub.testing.kit.harness import Harness

__all__ = ["NormalizationChecks"]


class NormalizationChecks(ConformanceBase):
    __test__ = False

    # -- normalization -----------------------------------------------------------------------

    def _normalisation_inputs(self, harness: Harness) -> list[tuple[str, dict[str, Any]]]:
        valid, _malformed = self._fixtures()
        inputs = [(path.name, load_fixture(path)) for path in valid]
        window, _ids = self._add_recent(harness, 5)
        raws = harness.fetch(window)
        inputs.extend((f"simulated order {index + 1}", raw) for index, raw in enumerate(raws))
        return inputs

    def test_normalization_to_order_is_pure(self, conformance: Harness) -> None:
        """``to_order`` sends nothing, reads no clock, leaves its input alone and gives the
        same draft for the same input, every time and on every instance."""
        inputs = self._normalisation_inputs(conformance)
        clock = GuardedClock(conformance.clock)
        transport = GuardedTransport(conformance.transport)
        first = conformance.connector(clock=clock, transport=transport)
        second = conformance.connector(clock=clock, transport=transport)
        for name, raw in inputs:
            pristine = copy.deepcopy(raw)
            try:
                with clock.armed(), transport.armed():
                    drafts = [
                        first.to_order(copy.deepcopy(pristine)),
                        first.to_order(raw),
                        second.to_order(copy.deepcopy(pristine)),
                    ]
            except ImpureCall as exc:
                _fail(
                    f"to_order({name}) {exc}: to_order must be pure (no I/O, no clock, no "
                    "randomness); take times from the payload, and fetch anything extra in "
                    "fetch_orders"
                )
            assert raw == pristine, f"to_order({name}) changed its input: copy what you modify"
            assert drafts[0] == drafts[1] == drafts[2], (
                f"to_order({name}) gave different drafts for the same input: it must be "
                "deterministic (no clock, no randomness, no state kept between calls)"
            )

    def test_normalization_drafts_are_valid(self, conformance: Harness) -> None:
        """Every fixture and every simulated order gives a draft ``validate_order`` accepts
        (UTC times, ISO currency, positive integer quantities, Decimal money)."""
        connector = conformance.connector()
        problems = []
        for name, raw in self._normalisation_inputs(conformance):
            try:
                draft = connector.to_order(raw)
            except Exception as exc:
                problems.append(f"{name}: to_order raised {type(exc).__name__}: {exc}")
                continue
            found = validate_order(draft)
            if found:
                problems.append(f"{name}: {'; '.join(found)}")
        assert not problems, "invalid drafts:\n" + "\n".join(problems)

    def test_normalization_golden_files_match(
        self, conformance: Harness, request: pytest.FixtureRequest
    ) -> None:
        """Each fixture's draft equals its golden file (``--update-golden`` rewrites them)."""
        valid, _malformed = self._fixtures()
        golden_dir = self.golden_dir or (self.fixtures_dir or Path()).parent / "golden"
        check_golden_files(conformance.connector(), valid, golden_dir, request)

    def test_normalization_malformed_fixtures_are_refused(self, conformance: Harness) -> None:
        """Each ``malformed_*.json`` fixture raises (MalformedRecordError, ideally) or gives
        a draft ``validate_order`` refuses; either way the record is quarantined."""
        _valid, malformed = self._fixtures()
        check_malformed_refused(conformance.connector(), malformed)


def check_golden_files(
    connector: Connector[Any], valid: list[Path], golden_dir: Path, request: pytest.FixtureRequest
) -> None:
    """The golden-file check, shared by both tiers: each valid fixture's draft equals its
    golden file, and no golden file is left without a fixture."""
    if not valid:
        pytest.skip("no fixtures_dir with fixture JSON files: golden files need fixtures")
    update = update_golden_requested(bool(request.config.getoption("update_golden", False)))
    problems = []
    for path in valid:
        produced = render_golden(connector.to_order(load_fixture(path)))
        golden = golden_dir / path.name
        if update:
            write_golden(golden, produced)
            continue
        if not golden.exists():
            problems.append(f"{path.name}: no golden file {golden}")
            continue
        expected = golden.read_text(encoding="utf-8")
        if json.loads(expected) != json.loads(produced):
            problems.append(diff_text(expected, produced, path.name))
    stale = sorted({p.name for p in golden_dir.glob("*.json")} - {p.name for p in valid})
    if stale:
        problems.append(f"golden files without a fixture: {', '.join(stale)} (delete them)")
    assert not problems, (
        "golden files differ from what to_order makes of the fixtures (run pytest "
        "--update-golden after an intended change, then review the diff):\n" + "\n".join(problems)
    )


def check_malformed_refused(connector: Connector[Any], malformed: list[Path]) -> None:
    """The malformed-fixture check, shared by both tiers."""
    if not malformed:
        pytest.skip("no malformed_*.json fixtures")
    accepted = []
    for path in malformed:
        draft = _to_order_or_none(connector, load_fixture(path))
        if draft is not None and not validate_order(draft):
            accepted.append(path.name)
    assert not accepted, (
        f"to_order accepted {', '.join(accepted)}: raise MalformedRecordError naming the "
        "bad field (parse_money / parse_utc / require do)"
    )

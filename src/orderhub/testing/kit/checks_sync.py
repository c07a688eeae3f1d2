"""The sync group (Tier 2): first run, second run unchanged, a crash mid-run, a
malformed record quarantined and a changed order updated, with the real store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from orderhub.sync.window import chunks, plan_window
from orderhub.testing.kit.base import (
    ConformanceBase,
    _fail,
)
from orderhub.testing.kit.guards import (
    KitTransport,
    SimulatedCrash,
)
from orderhub.testing.kit.harness import Harness

__all__ = ["SyncChecks"]


class SyncChecks(ConformanceBase):
    __test__ = False

    # -- sync with the real store ------------------------------------------------------------

    def test_sync_first_run_stores_every_order(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """The first run stores every order of the backfill once, and succeeds."""
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(self._multi_page_count(conformance), start, end)
        result = conformance.sync(store_engine)
        assert result.outcome == "succeeded", f"{result.error_kind}: {result.error}"
        stored = conformance.stored(store_engine)
        missing = set(ids) - set(stored)
        assert not missing, f"{len(missing)} orders not stored, e.g. {sorted(missing)[:3]}"
        assert conformance.order_rows(store_engine) == len(ids)
        assert result.counts.created == len(ids)
        assert result.counts.quarantined == 0, "valid simulated orders were quarantined"

    def test_sync_second_run_writes_nothing(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """A second run over unchanged orders creates, updates and records nothing."""
        start, end = conformance.sync_range(timedelta(days=3))
        conformance.add_orders(conformance.page_size + 3, start, end)
        connector = conformance.connector()
        first = conformance.sync(store_engine, connector)
        assert first.outcome == "succeeded", f"{first.error_kind}: {first.error}"
        changed, events = (
            conformance.last_change(store_engine),
            conformance.event_count(store_engine),
        )
        conformance.clock.advance(300)
        second = conformance.sync(store_engine, connector)
        assert second.outcome == "succeeded", f"{second.error_kind}: {second.error}"
        assert (second.counts.created, second.counts.updated) == (0, 0), (
            f"the second run created {second.counts.created} and updated "
            f"{second.counts.updated} orders that did not change: to_order must give the same "
            "draft for the same payload"
        )
        assert conformance.last_change(store_engine) == changed
        assert conformance.event_count(store_engine) == events

    def test_sync_crash_mid_run_never_moves_the_cursor_past_committed_data(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """A process dying mid-run leaves every order older than the cursor stored, and a
        rerun stores them all, once."""
        cls = self.connector_class
        start, end = conformance.sync_range(cls.max_window * 5 / 2)
        ids = conformance.add_orders(self._multi_page_count(conformance), start, end)
        # A dry read of the same windows, to learn how many requests a whole run sends and
        # when each order was modified.
        probe_transport = KitTransport(conformance.api)
        probe = conformance.connector(transport=probe_transport)
        planned = plan_window(
            now=conformance.now,
            cursor=None,
            since=None,
            lookback=cls.lookback,
            settle_delay=cls.settle_delay,
            initial_backfill=cls.initial_backfill,
        )
        raws = [
            raw for chunk in chunks(planned, cls.max_window) for raw in probe.fetch_orders(chunk)
        ]
        modified = {d.external_id: d.updated_at for d in conformance.drafts(raws, probe)}
        total = probe_transport.sent
        assert total >= 2, f"a whole run sent {total} request(s): nothing to crash between"

        crashing = KitTransport(conformance.api)
        crashing.crash_after = total // 2
        try:
            conformance.sync(store_engine, conformance.connector(transport=crashing))
        except SimulatedCrash:
            pass
        else:
            _fail(
                "the run finished although the process died mid-run: something caught a "
                "BaseException (never catch BaseException; `except Exception` is enough)"
            )
        stored = set(conformance.stored(store_engine))
        cursor = conformance.cursor(store_engine)
        if cursor is not None:
            lost = sorted(i for i, when in modified.items() if when < cursor and i not in stored)
            assert not lost, (
                f"the cursor moved to {cursor.isoformat()} but {len(lost)} orders modified "
                f"before it were never committed (e.g. {lost[:3]}): declare "
                "sorted_by_updated_at = True only when fetch_orders yields oldest first"
            )
        rerun = conformance.sync(store_engine)
        assert rerun.outcome == "succeeded", f"{rerun.error_kind}: {rerun.error}"
        missing = set(ids) - set(conformance.stored(store_engine))
        assert not missing, f"after the rerun {len(missing)} orders are still missing"
        assert conformance.order_rows(store_engine) == len(ids), "the rerun stored duplicates"

    def test_sync_malformed_record_is_quarantined(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """An order ``to_order`` cannot read is quarantined; the others are stored."""
        if type(self).add_malformed_order is ConformanceBase.add_malformed_order:
            pytest.skip("add_malformed_order is not implemented in the test class")
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(conformance.page_size // 2 + 3, start, end)
        bad = self.add_malformed_order(conformance.api, start + (end - start) / 2)
        result = conformance.sync(store_engine)
        assert result.outcome == "succeeded", f"{result.error_kind}: {result.error}"
        stored = conformance.stored(store_engine)
        assert set(ids) <= set(stored), "the valid orders next to a malformed one must be stored"
        if bad is not None:
            assert str(bad) not in stored, "the malformed order was stored"
        quarantined = conformance.quarantined(store_engine)
        assert len(quarantined) == 1, f"{len(quarantined)} records quarantined, expected 1"
        if bad is not None:
            assert quarantined[0]["external_id"] == str(bad), (
                "the quarantined record is labelled "
                f"{quarantined[0]['external_id']!r}, not {bad!r}: make external_id(raw) "
                "find the order id in the raw payload"
            )

    def test_sync_order_changed_between_runs_is_updated(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """An order whose status changes on the channel is updated, with a status event."""
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(3, start, end)
        connector = conformance.connector()
        first = conformance.sync(store_engine, connector)
        assert first.outcome == "succeeded", f"{first.error_kind}: {first.error}"
        before = conformance.stored(store_engine).get(ids[1])
        assert before is not None, f"order {ids[1]} was not stored by the first run"
        conformance.clock.advance(60)
        self.change_order(conformance.api, ids[1])
        conformance.clock.advance(self.connector_class.settle_delay.total_seconds() + 120)
        second = conformance.sync(store_engine, connector)
        assert second.outcome == "succeeded", f"{second.error_kind}: {second.error}"
        after = conformance.stored(store_engine)
        assert after[ids[1]] != before, (
            f"order {ids[1]} is still {before!r} after the channel changed it: the window "
            "must catch orders modified since the last run"
        )
        assert second.counts.updated == 1, f"{second.counts.updated} orders updated, expected 1"
        kinds = [event["kind"] for event in conformance.events_of(store_engine, ids[1])]
        assert "status_changed" in kinds, f"no status_changed event, only {kinds}"

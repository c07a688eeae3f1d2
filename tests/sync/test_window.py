"""Which window a run reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from orderhub.sdk import SyncWindow
from orderhub.sync.window import chunks, plan_window

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PLAN = {
    "lookback": timedelta(minutes=10),
    "settle_delay": timedelta(minutes=2),
    "initial_backfill": timedelta(days=30),
}


def test_first_run_backfills_up_to_the_settled_horizon() -> None:
    window = plan_window(now=NOW, cursor=None, since=None, **PLAN)
    assert window.end == NOW - timedelta(minutes=2)
    assert window.start == window.end - timedelta(days=30)


def test_later_runs_start_a_lookback_before_the_cursor() -> None:
    cursor = NOW - timedelta(hours=1)
    window = plan_window(now=NOW, cursor=cursor, since=None, **PLAN)
    assert window.start == cursor - timedelta(minutes=10)


def test_since_overrides_the_cursor() -> None:
    since = NOW - timedelta(days=90)
    window = plan_window(now=NOW, cursor=NOW, since=since, **PLAN)
    assert window.start == since


def test_a_cursor_past_the_horizon_gives_an_empty_window() -> None:
    window = plan_window(now=NOW, cursor=NOW + timedelta(hours=1), since=None, **PLAN)
    assert window.start == window.end


def test_chunks_cover_the_window_without_gaps_or_overlap() -> None:
    window = SyncWindow(NOW - timedelta(days=30), NOW)
    parts = list(chunks(window, timedelta(days=7)))
    assert [p.end - p.start for p in parts] == [timedelta(days=7)] * 4 + [timedelta(days=2)]
    assert parts[0].start == window.start and parts[-1].end == window.end
    assert all(a.end == b.start for a, b in pairwise(parts))
    assert list(chunks(SyncWindow(NOW, NOW), timedelta(days=7))) == []


def test_chunks_refuse_a_zero_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        list(chunks(SyncWindow(NOW, NOW + timedelta(days=1)), timedelta(0)))

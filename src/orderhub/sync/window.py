"""Which slice of time a pull run reads.

The rule, learnt from the bug trackers of tools that lost orders: capture the horizon
*before* reading (``now - settle_delay``, so records still being written upstream are left
for the next run), start at ``cursor - lookback`` (the overlap re-read catches records that
were committed upstream late, relying on idempotent upserts), and split long windows into
``max_window`` chunks so a backfill commits its progress as it goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from orderhub.sdk.connector import SyncWindow


def plan_window(
    *,
    now: datetime,
    cursor: datetime | None,
    since: datetime | None,
    lookback: timedelta,
    settle_delay: timedelta,
    initial_backfill: timedelta,
) -> SyncWindow:
    """The whole window of one run: ``[start, horizon)``. Empty when there is nothing to read."""
    horizon = now - settle_delay
    if since is not None:
        start = since
    elif cursor is not None:
        start = cursor - lookback
    else:
        start = horizon - initial_backfill
    return SyncWindow(start=min(start, horizon), end=horizon)


def chunks(window: SyncWindow, max_window: timedelta) -> Iterator[SyncWindow]:
    """Split ``window`` into consecutive pieces of at most ``max_window``."""
    if max_window <= timedelta(0):
        raise ValueError("max_window must be positive")
    start = window.start
    while start < window.end:
        end = min(start + max_window, window.end)
        yield SyncWindow(start=start, end=end)
        start = end

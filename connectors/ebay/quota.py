"""eBay's daily call limits: the eBay day, and the calls one account has made in it.

eBay limits calls per application, per API resource and per day (the Fulfillment API's
``order`` resource: 100,000 calls a day by default). The day is taken to reset at midnight
US Pacific time, as eBay's application-check page and its Trading API describe the call-limit
day; the Fulfillment API's own pages do not say, so the README marks it for checking.
:class:`DailyQuota` counts the calls made through this process and stops orders in before it
would eat into the calls kept back for tracking uploads, with a message that says when the
count resets.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orderhub.sdk import Clock, RateLimitedError

Purpose = Literal["pull", "push"]

_PACIFIC_STANDARD = timedelta(hours=-8)
_PACIFIC_DAYLIGHT = timedelta(hours=-7)


def _pacific_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # a slim system without the time zone database
        return None


_ZONE = _pacific_zone()


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (6 - first.weekday()) % 7  # Monday is 0, Sunday 6
    return first + timedelta(days=offset + 7 * (n - 1))


def pacific_offset_by_rule(instant: datetime) -> timedelta:
    """US Pacific time's UTC offset at ``instant`` by the US rule in force since 2007
    (daylight time from 02:00 on the second Sunday of March to 02:00 on the first Sunday of
    November). Used only when the system has no time zone database."""
    moment = instant.astimezone(UTC)
    year = moment.year
    # 02:00 PST is 10:00 UTC; 02:00 PDT is 09:00 UTC.
    starts = datetime.combine(_nth_sunday(year, 3, 2), time(10), tzinfo=UTC)
    ends = datetime.combine(_nth_sunday(year, 11, 1), time(9), tzinfo=UTC)
    return _PACIFIC_DAYLIGHT if starts <= moment < ends else _PACIFIC_STANDARD


def ebay_day(instant: datetime, *, use_zoneinfo: bool = True) -> date:
    """The eBay day ``instant`` (UTC-aware) falls in: its date in US Pacific time."""
    if use_zoneinfo and _ZONE is not None:
        return instant.astimezone(_ZONE).date()
    return (instant.astimezone(UTC) + pacific_offset_by_rule(instant)).date()


def next_reset(instant: datetime, *, use_zoneinfo: bool = True) -> datetime:
    """When the eBay day containing ``instant`` ends (the next midnight US Pacific), in UTC."""
    following = ebay_day(instant, use_zoneinfo=use_zoneinfo) + timedelta(days=1)
    if use_zoneinfo and _ZONE is not None:
        return datetime.combine(following, time(0), tzinfo=_ZONE).astimezone(UTC)
    # Midnight is never inside a daylight-time switch (those happen at 02:00), so the offset
    # a few hours after midnight is the offset at midnight.
    probe = datetime.combine(following, time(12), tzinfo=UTC)
    return datetime.combine(following, time(0), tzinfo=UTC) - pacific_offset_by_rule(probe)


def _in(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


class DailyQuota:
    """The eBay API calls one account has made today (eBay's day), counted in this process.

    ``record`` is called for every request sent to the API (retries included, token
    requests excluded: those have limits of their own). ``ensure`` is called before each
    call orderhub decides to make and raises :class:`RateLimitedError` when the call would
    go over: orders in (``"pull"``) may use ``limit - reserve`` calls, tracking uploads
    (``"push"``) the whole ``limit``. The count starts at zero when the process starts and
    at each midnight US Pacific time. Thread-safe.
    """

    def __init__(self, *, limit: int, reserve: int, clock: Clock, account_id: str) -> None:
        self.limit = limit
        self.reserve = reserve
        self.clock = clock
        self.account_id = account_id
        self._lock = threading.Lock()
        self._day: date | None = None
        self._used = 0

    def _roll(self) -> None:
        today = ebay_day(self.clock.now())
        if today != self._day:
            self._day = today
            self._used = 0

    def record(self, calls: int = 1) -> None:
        """Count ``calls`` requests sent now."""
        with self._lock:
            self._roll()
            self._used += calls

    def used(self) -> int:
        """Calls counted since the last midnight US Pacific time."""
        with self._lock:
            self._roll()
            return self._used

    def budget(self, purpose: Purpose) -> int:
        """How many calls ``purpose`` may use in a day."""
        return self.limit - self.reserve if purpose == "pull" else self.limit

    def resets_at(self) -> datetime:
        """When the count goes back to zero (UTC)."""
        return next_reset(self.clock.now())

    def ensure(self, purpose: Purpose, calls: int = 1) -> None:
        """Raise :class:`RateLimitedError` when ``calls`` more calls for ``purpose`` would go
        over today's budget; otherwise return (nothing is counted here)."""
        with self._lock:
            self._roll()
            used = self._used
        if used + calls <= self.budget(purpose):
            return
        now = self.clock.now()
        reset = next_reset(now)
        wait = (reset - now).total_seconds()
        when = f"{reset:%Y-%m-%d %H:%M} UTC (midnight US Pacific time, in {_in(wait)})"
        if purpose == "pull":
            message = (
                f"eBay account {self.account_id}: orders in stopped for today to keep "
                f"{self.reserve} of the daily {self.limit} eBay API calls for tracking "
                f"uploads ({used} calls used today); the count resets at {when}"
            )
        else:
            message = (
                f"eBay account {self.account_id}: all {self.limit} eBay API calls of today "
                f"are used ({used} calls); tracking uploads wait until the count resets at "
                f"{when}"
            )
        raise RateLimitedError(
            message,
            fix=(
                "Nothing is lost: the next run after the reset goes on from where this one "
                "stopped. To allow more calls a day, raise the limit with eBay's Application "
                "Growth Check and set daily_call_limit to the new value; otherwise poll less "
                "often (a longer interval)."
            ),
            code="daily_call_limit",
            retry_after=wait,
        )

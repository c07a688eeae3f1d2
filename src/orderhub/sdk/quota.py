"""Daily call budgets: the calls one account has made in the channel's day, and a reserve of
them kept for tracking uploads.

Channels that publish daily limits (eBay: calls per application, resource and day) count
them in a day of their own, which starts at midnight in some time zone (eBay's at midnight
US Pacific time). :class:`QuotaDay` is that day; :class:`DailyQuota` counts the calls made
through this process and stops orders in before they would eat into the calls kept back
for tracking uploads, with a :class:`RateLimitedError` that says when the count resets.

A connector builds one per account and counts every request it sends::

    self.quota = DailyQuota(limit=..., reserve=..., clock=self.clock, day=US_PACIFIC,
                            label=f"eBay account {self.account_id}: ")
    RefreshTokenAuth(..., on_send=lambda request: self.quota.record())
    ...
    self.quota.ensure("pull")    # before each call orders in decides to make
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orderhub.sdk.clock import Clock
from orderhub.sdk.errors import RateLimitedError

__all__ = ["US_PACIFIC", "DailyQuota", "QuotaDay", "us_pacific_offset_by_rule", "wait_text"]

Purpose = Literal["pull", "push"]

_PACIFIC_STANDARD = timedelta(hours=-8)
_PACIFIC_DAYLIGHT = timedelta(hours=-7)


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (6 - first.weekday()) % 7  # Monday is 0, Sunday 6
    return first + timedelta(days=offset + 7 * (n - 1))


def us_pacific_offset_by_rule(instant: datetime) -> timedelta:
    """US Pacific time's UTC offset at ``instant`` by the US rule in force since 2007
    (daylight time from 02:00 on the second Sunday of March to 02:00 on the first Sunday of
    November). For systems without a time zone database."""
    moment = instant.astimezone(UTC)
    # 02:00 PST is 10:00 UTC; 02:00 PDT is 09:00 UTC.
    starts = datetime.combine(_nth_sunday(moment.year, 3, 2), time(10), tzinfo=UTC)
    ends = datetime.combine(_nth_sunday(moment.year, 11, 1), time(9), tzinfo=UTC)
    return _PACIFIC_DAYLIGHT if starts <= moment < ends else _PACIFIC_STANDARD


def wait_text(seconds: float) -> str:
    """A wait for people: ``"7 min"``, ``"3 h 05 min"``."""
    minutes = max(0, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class QuotaDay:
    """A channel's counting day: it starts at midnight in ``zone`` (an IANA name).
    ``fallback`` gives the zone's UTC offset at an instant when the system has no time zone
    database (None: UTC is used then). ``name`` is how messages say it
    (``"midnight US Pacific time"``)."""

    zone: str
    name: str
    fallback: Callable[[datetime], timedelta] | None = None

    def _zone(self) -> ZoneInfo | None:
        try:
            return ZoneInfo(self.zone)
        except ZoneInfoNotFoundError:  # a slim system without the time zone database
            return None

    def _offset(self, instant: datetime) -> timedelta:
        return self.fallback(instant) if self.fallback else timedelta(0)

    def day(self, instant: datetime, *, use_zoneinfo: bool = True) -> date:
        """The channel's day ``instant`` (UTC-aware) falls in."""
        zone = self._zone() if use_zoneinfo else None
        if zone is not None:
            return instant.astimezone(zone).date()
        return (instant.astimezone(UTC) + self._offset(instant)).date()

    def next_reset(self, instant: datetime, *, use_zoneinfo: bool = True) -> datetime:
        """When the day containing ``instant`` ends (the next midnight in the zone), in UTC."""
        following = self.day(instant, use_zoneinfo=use_zoneinfo) + timedelta(days=1)
        zone = self._zone() if use_zoneinfo else None
        if zone is not None:
            return datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC)
        # Midnight is never inside a daylight-time switch (those happen at 02:00 or later),
        # so the offset at noon is the offset at midnight.
        probe = datetime.combine(following, time(12), tzinfo=UTC)
        return datetime.combine(following, time(0), tzinfo=UTC) - self._offset(probe)


#: The day of eBay's call limits (and other US marketplaces'): midnight US Pacific time.
US_PACIFIC = QuotaDay("America/Los_Angeles", "midnight US Pacific time", us_pacific_offset_by_rule)


class DailyQuota:
    """The API calls one account has made in the channel's day, counted in this process.

    ``record`` is called for every request sent to the API (retries included, token
    requests excluded: those have limits of their own). ``ensure`` is called before each
    call orderhub decides to make and raises :class:`RateLimitedError` when the call would
    go over: orders in (``"pull"``) may use ``limit - reserve`` calls, tracking uploads
    (``"push"``) the whole ``limit``. The count starts at zero when the process starts and
    at each new ``day``. ``label`` prefixes messages (``"eBay account x: "``),
    ``calls_name`` names the calls (``"eBay API calls"``) and ``raise_fix`` says how the
    seller gets a higher limit. Thread-safe.
    """

    def __init__(
        self,
        *,
        limit: int,
        reserve: int,
        clock: Clock,
        day: QuotaDay = US_PACIFIC,
        label: str = "",
        calls_name: str = "API calls",
        raise_fix: str = "raise the limit with the channel and set daily_call_limit to the "
        "new value",
    ) -> None:
        self.limit = limit
        self.reserve = reserve
        self.clock = clock
        self.day = day
        self.label = label
        self.calls_name = calls_name
        self.raise_fix = raise_fix
        self._lock = threading.Lock()
        self._day: date | None = None
        self._used = 0

    def _roll(self) -> None:
        today = self.day.day(self.clock.now())
        if today != self._day:
            self._day = today
            self._used = 0

    def record(self, calls: int = 1) -> None:
        """Count ``calls`` requests sent now."""
        with self._lock:
            self._roll()
            self._used += calls

    def used(self) -> int:
        """Calls counted since the day began."""
        with self._lock:
            self._roll()
            return self._used

    def budget(self, purpose: Purpose) -> int:
        """How many calls ``purpose`` may use in a day."""
        return self.limit - self.reserve if purpose == "pull" else self.limit

    def resets_at(self) -> datetime:
        """When the count goes back to zero (UTC)."""
        return self.day.next_reset(self.clock.now())

    def reset_text(self) -> str:
        """When the count resets, for messages: ``"2026-01-16 08:00 UTC (midnight US Pacific
        time, in 7 h 05 min)"``."""
        now = self.clock.now()
        reset = self.day.next_reset(now)
        return (
            f"{reset:%Y-%m-%d %H:%M} UTC ({self.day.name}, "
            f"in {wait_text((reset - now).total_seconds())})"
        )

    def ensure(self, purpose: Purpose, calls: int = 1) -> None:
        """Raise :class:`RateLimitedError` when ``calls`` more calls for ``purpose`` would go
        over today's budget; otherwise return (nothing is counted here)."""
        used = self.used()
        if used + calls <= self.budget(purpose):
            return
        when = self.reset_text()
        if purpose == "pull":
            message = (
                f"{self.label}orders in stopped for today to keep {self.reserve} of the daily "
                f"{self.limit} {self.calls_name} for tracking uploads ({used} calls used "
                f"today); the count resets at {when}"
            )
        else:
            message = (
                f"{self.label}all {self.limit} {self.calls_name} of today are used ({used} calls); "
                f"tracking uploads wait until the count resets at {when}"
            )
        raise RateLimitedError(
            message,
            fix=(
                "Nothing is lost: the next run after the reset goes on from where this one "
                f"stopped. To allow more calls a day, {self.raise_fix}; otherwise poll less "
                "often (a longer interval)."
            ),
            code="daily_call_limit",
            retry_after=(self.resets_at() - self.clock.now()).total_seconds(),
        )

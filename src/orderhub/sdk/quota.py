"""Daily call budgets: the calls one account has made in the channel's day, and a reserve of
them kept for tracking uploads.

Channels that publish daily limits (eBay: calls per application, resource and day) count
them in a day of their own, which starts at midnight in some time zone (eBay's at midnight
US Pacific time). :class:`QuotaDay` is that day; :class:`DailyQuota` counts the calls made
through this process and stops orders in before they would eat into the calls kept back
for tracking uploads, with a :class:`RateLimitedError` that says when the count resets.

A connector's settings inherit :class:`DailyQuotaSettings` (``daily_call_limit``,
``daily_reserve``); the connector builds one quota per account and counts every request it
sends::

    self.quota = DailyQuota.from_settings(self.settings, clock=self.clock, channel="eBay",
                                          label=f"eBay account {self.account_id}: ")
    RefreshTokenAuth(..., on_send=lambda request: self.quota.record())
    ...
    self.quota.ensure("pull")    # before each call orders in decides to make

    def classify_response(self, response):
        self.quota.answered(response.status_code)
        if response.status_code == 429:
            return self.quota.throttled(response, reason="errorId 2001", code="2001")

A 429 is then waited out as the answer allows: its ``Retry-After`` when there is one, else
one minute, then five (``pauses``), then until the day's reset (the HTTP helper gives up at
once when that is far, and the next run goes on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import Field, ValidationInfo, field_validator

from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import ConnectorSettings
from orderhub.sdk.errors import RateLimitedError

__all__ = [
    "US_PACIFIC",
    "DailyQuota",
    "DailyQuotaSettings",
    "QuotaDay",
    "us_pacific_offset_by_rule",
    "wait_text",
]

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
        # so the offset at local midnight is well defined: take the offset at UTC midnight
        # as a first guess, then the offset at the guessed instant (a noon probe would be
        # wrong on the November switch day, whose midnight is still on daylight time).
        midnight = datetime.combine(following, time(0), tzinfo=UTC)
        guess = midnight - self._offset(midnight)
        return midnight - self._offset(guess)


#: The day of eBay's call limits (and other US marketplaces'): midnight US Pacific time.
US_PACIFIC = QuotaDay("America/Los_Angeles", "midnight US Pacific time", us_pacific_offset_by_rule)


class DailyQuotaSettings(ConnectorSettings):
    """Settings of a channel with a daily call limit: ``daily_call_limit`` (the application's
    limit; 100,000 unless redeclared) and ``daily_reserve`` (calls of it kept for tracking
    uploads: orders in stops before eating into them; smaller than the limit)."""

    daily_call_limit: int = Field(default=100_000, ge=1, le=1_000_000_000)
    daily_reserve: int = Field(default=1_000, ge=0)

    @field_validator("daily_reserve")
    @classmethod
    def _reserve_below_limit(cls, value: int, info: ValidationInfo) -> int:
        # daily_call_limit is declared first, so it is already validated (when valid).
        limit = info.data.get("daily_call_limit")
        if isinstance(limit, int) and value >= limit:
            raise ValueError(
                f"must be smaller than daily_call_limit ({limit}), or orders in would never "
                "get a call"
            )
        return value


class DailyQuota:
    """The API calls one account has made in the channel's day, counted in this process.

    ``record`` is called for every request sent to the API (retries included, token
    requests excluded: those have limits of their own). ``ensure`` is called before each
    call orderhub decides to make and raises :class:`RateLimitedError` when the call would
    go over: orders in (``"pull"``) may use ``limit - reserve`` calls, tracking uploads
    (``"push"``) the whole ``limit``. The count starts at zero when the process starts and
    at each new ``day``. ``label`` prefixes messages (``"eBay account x: "``),
    ``channel`` names the channel in them and ``raise_fix`` says how the seller gets a
    higher limit (``"raise the limit with eBay's Application Growth Check"``). ``pauses``
    are the waits after a 429 without ``Retry-After`` (:meth:`throttled`). Thread-safe.
    """

    def __init__(
        self,
        *,
        limit: int,
        reserve: int,
        clock: Clock,
        day: QuotaDay = US_PACIFIC,
        label: str = "",
        channel: str = "the channel",
        raise_fix: str = "raise the limit with the channel",
        pauses: tuple[float, ...] = (60.0, 300.0),
    ) -> None:
        self.limit = limit
        self.reserve = reserve
        self.clock = clock
        self.day = day
        self.label = label
        self.channel = channel
        self.raise_fix = raise_fix
        self.pauses = pauses
        self._streak = 0  # 429 answers in a row
        self._lock = threading.Lock()
        self._day: date | None = None
        self._used = 0

    @classmethod
    def from_settings(cls, settings: DailyQuotaSettings, **options: Any) -> DailyQuota:
        """A quota with the limit and reserve of ``settings``; ``options`` as for the class."""
        return cls(limit=settings.daily_call_limit, reserve=settings.daily_reserve, **options)

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
                f"{self.limit} {self.channel} API calls for tracking uploads ({used} calls used "
                f"today); the count resets at {when}"
            )
        else:
            message = (
                f"{self.label}all {self.limit} {self.channel} API calls of today are used "
                f"({used} calls); tracking uploads wait until the count resets at {when}"
            )
        raise RateLimitedError(
            message,
            fix=(
                "Nothing is lost: the next run after the reset goes on from where this one "
                f"stopped. To allow more calls a day, {self.raise_fix} and set daily_call_limit "
                "to the new value; otherwise poll less often (a longer interval)."
            ),
            code="daily_call_limit",
            retry_after=(self.resets_at() - self.clock.now()).total_seconds(),
        )

    # -- 429 answers -----------------------------------------------------------------------

    def answered(self, status: int) -> None:
        """Tell the quota the status of every answer (``classify_response``): any answer
        but a 429 ends a run of throttled answers."""
        if status != 429:
            self._streak = 0

    def throttled(
        self, response: httpx.Response, *, reason: str, code: str | None = None
    ) -> RateLimitedError:
        """The error for a 429 ``response``, waiting what it allows: its ``Retry-After``
        (read by the HTTP helper), else the next of ``pauses``, else, when the channel
        still refuses after them, until the day's reset (its quota is used up). ``reason``
        says what the channel answered (``"errorId 2001, the request limit has been
        reached"``), ``code`` is the error's code."""
        self._streak += 1
        retry_after: float | None
        if "retry-after" in response.headers:
            retry_after = None  # the HTTP helper reads and honours the header
        elif self._streak <= len(self.pauses):
            retry_after = self.pauses[self._streak - 1]
        else:
            retry_after = max(1.0, (self.resets_at() - self.clock.now()).total_seconds())
        return RateLimitedError(
            f"{self.label}{response.request.method} {response.request.url.path} answered "
            f"HTTP 429 ({reason}); orderhub counted {self.used()} of {self.limit} calls "
            f"today, and {self.channel}'s day resets at {self.reset_text()}",
            fix=(
                "Nothing is lost: orderhub waits and tries again, then the next run goes on. "
                "If it persists, another application may be using this keyset's daily quota, "
                f"or {self.channel}'s limit is lower than daily_call_limit: {self.raise_fix}, "
                "or poll less often."
            ),
            status=429,
            code=code,
            retry_after=retry_after,
        )

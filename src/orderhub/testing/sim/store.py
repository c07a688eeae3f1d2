"""Simulated orders that change over time.

A simulator keeps compact records (id, times, status and whatever it needs to render the
channel's JSON) in an :class:`OrderStore`, and renders the JSON only for the page being
served: a store of 100,000 orders then costs a few tens of megabytes, not gigabytes.

Times are kept UTC-aware at whole seconds, the way the channels' databases keep them, so a
modification within the same second does not move ``modified`` (as on the real channels).

:class:`LiveFeed` turns the passing of simulated time into new and changed orders, for
``orderhub demo`` and benchmarks.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from orderhub.sdk.clock import Clock


def whole_seconds(value: datetime) -> datetime:
    """``value`` in UTC, cut to whole seconds. Raises ``ValueError`` for a naive time."""
    if value.tzinfo is None:
        raise ValueError("simulated order times must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


def creation_times(
    rng: random.Random, n: int, *, start: datetime | None, spread: timedelta, now: datetime
) -> list[datetime]:
    """When ``n`` generated orders were created, oldest first: random whole-second times in
    ``[start, start + spread)``, where ``start`` defaults to ``spread`` before ``now``.

    Draws ``n`` numbers from ``rng`` and nothing else, so a simulator's generated orders
    stay the same for a given seed."""
    begin = whole_seconds(start) if start is not None else now - spread
    span = spread.total_seconds()
    offsets = sorted(rng.random() * span for _ in range(n))
    return [begin + timedelta(seconds=int(offset)) for offset in offsets]


def modified_later(
    rng: random.Random,
    created: datetime,
    now: datetime,
    *,
    within: timedelta,
    share: float = 0.33,
) -> datetime:
    """When a generated order was last modified: about ``share`` of orders changed again a
    minute to ``within`` after ``created`` (never after ``now``), the others never."""
    if rng.random() < share:
        later = created + timedelta(seconds=rng.randint(60, int(within.total_seconds())))
        return min(later, max(now, created))
    return created


@dataclass(slots=True)
class SimRecord:
    """The part every simulated order has: an id, when it was created and last modified
    (UTC, whole seconds) and a channel status. Simulators subclass it with their fields."""

    id: int
    created: datetime
    modified: datetime
    status: str


R = TypeVar("R", bound=SimRecord)


class OrderStore(Generic[R]):
    """Orders by id, with modification times on the simulator's clock and cached queries.

    :meth:`query` caches each distinct filter's sorted result until the next change, so
    paging through a large result costs one filtering pass, not one per page. Every method
    is thread-safe (the real HTTP server is threaded).
    """

    def __init__(self, clock: Clock, *, first_id: int = 1, cache_size: int = 16) -> None:
        self.clock = clock
        self._orders: dict[int, R] = {}
        self._next_id = first_id
        self._version = 0
        self._cache: OrderedDict[Hashable, tuple[int, list[R]]] = OrderedDict()
        self._cache_size = cache_size
        self.lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[R]:
        with self.lock:
            return iter(list(self._orders.values()))

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    @property
    def version(self) -> int:
        """Increases on every change; cached queries older than it are stale."""
        return self._version

    def now(self) -> datetime:
        """The simulator's current time, in whole UTC seconds."""
        return whole_seconds(self.clock.now())

    def moment(self, when: datetime | None) -> datetime:
        """``when`` in whole UTC seconds, or :meth:`now` when it is ``None``: the time of a
        change a test helper makes "now" unless told otherwise."""
        return whole_seconds(when) if when is not None else self.now()

    def next_id(self) -> int:
        """Reserve the next order id."""
        with self.lock:
            value = self._next_id
            self._next_id += 1
            return value

    def add(self, record: R) -> R:
        """Store a new record (its id must be unused)."""
        with self.lock:
            if record.id in self._orders:
                raise ValueError(f"order {record.id} already exists")
            self._orders[record.id] = record
            self._next_id = max(self._next_id, record.id + 1)
            self._version += 1
            return record

    def get(self, order_id: int) -> R | None:
        """The record, or ``None``."""
        return self._orders.get(order_id)

    def require(self, order_id: int) -> R:
        """The record; raises ``KeyError`` naming the id when there is none."""
        record = self._orders.get(order_id)
        if record is None:
            raise KeyError(f"no simulated order {order_id}")
        return record

    def touch(self, order_id: int, when: datetime | None = None) -> R:
        """Mark an order modified at ``when`` (default: now). Call it after changing a
        record's fields, inside ``with store.lock``. Raises ``KeyError``."""
        with self.lock:
            record = self.require(order_id)
            record.modified = self.moment(when)
            self._version += 1
            return record

    def changed(self) -> None:
        """Invalidate cached queries after changing records without :meth:`touch`."""
        with self.lock:
            self._version += 1

    def pick(
        self,
        rng: random.Random,
        ids: Sequence[int],
        accept: Callable[[R], bool],
        *,
        tries: int = 20,
    ) -> R | None:
        """A record picked at random from ``ids`` that ``accept`` takes, or ``None`` when
        ``tries`` picks found none (or there are no ids): how a live feed finds an order that
        can still change without scanning them all."""
        for _ in range(tries):
            if not ids:
                return None
            record = self.get(rng.choice(ids))
            if record is not None and accept(record):
                return record
        return None

    def query(
        self,
        key: Hashable,
        predicate: Callable[[R], bool],
        sort_key: Callable[[R], tuple[object, ...]] | None = None,
        reverse: bool = False,
    ) -> list[R]:
        """Records matching ``predicate``, sorted by ``sort_key``.

        ``key`` identifies the filter (same key means same predicate and sort): the result is
        cached until the store changes. Do not mutate the returned list.
        """
        with self.lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == self._version:
                self._cache.move_to_end(key)
                return hit[1]
            result = [r for r in self._orders.values() if predicate(r)]
            if sort_key is not None:
                result.sort(key=sort_key, reverse=reverse)
            self._cache[key] = (self._version, result)
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return result


class LiveFeed:
    """New orders and order changes arriving as simulated time passes.

    Events form two Poisson processes (``new_per_hour`` and ``changes_per_hour``) drawn
    from a seeded generator, so a run is reproducible for a given clock history.
    :meth:`catch_up` replays the events due since the previous call, each at its own time,
    by calling ``on_new(rng, when)`` or ``on_change(rng, when)``. A simulator calls it before
    answering each request, so every answer reflects the time it is given at.
    ``max_events`` caps one catch-up (a huge clock jump must not stall a request).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        on_new: Callable[[random.Random, datetime], object],
        on_change: Callable[[random.Random, datetime], object],
        new_per_hour: float = 60.0,
        changes_per_hour: float = 30.0,
        seed: int = 0,
        max_events: int = 10_000,
    ) -> None:
        self._clock = clock
        self._on_new = on_new
        self._on_change = on_change
        self._rng = random.Random(seed)
        self.new_per_hour = new_per_hour
        self.changes_per_hour = changes_per_hour
        self.max_events = max_events
        self._lock = threading.Lock()
        start = clock.now()
        self._next_new = self._after(start, new_per_hour)
        self._next_change = self._after(start, changes_per_hour)
        #: Events produced so far.
        self.produced = 0

    def _after(self, when: datetime | None, per_hour: float) -> datetime | None:
        if when is None or per_hour <= 0:
            return None
        return when + timedelta(seconds=self._rng.expovariate(per_hour / 3600.0))

    def catch_up(self) -> int:
        """Produce the events due by now; returns how many were produced."""
        now = self._clock.now()
        count = 0
        with self._lock:
            while count < self.max_events:
                due = [t for t in (self._next_new, self._next_change) if t is not None]
                if not due or min(due) > now:
                    break
                if self._next_new is not None and self._next_new == min(due):
                    when = self._next_new
                    self._on_new(self._rng, when)
                    self._next_new = self._after(when, self.new_per_hour)
                else:
                    when = min(due)
                    self._on_change(self._rng, when)
                    self._next_change = self._after(when, self.changes_per_hour)
                count += 1
            self.produced += count
        return count

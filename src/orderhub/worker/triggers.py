"""The trigger of every account's pull, push and catalog jobs: every interval, jittered,
without drift.

APScheduler 3's ``IntervalTrigger(jitter=J)`` computes each run from the previous run's
*jittered* time, so the delays add up: an account set to poll every 60 s with a 6 s jitter
polled every 63 s on average, its phase wandering, and nearly every start-to-start gap was
longer than the interval (the 99th percentile at interval + 0.99 J). :class:`PollTrigger`
keeps each account on its own grid instead: run *k* is due at the grid's start + *k*
intervals and is delayed by a fresh ``uniform(0, J)``, so the gaps average exactly the
interval and stay within interval +/- J, while the jitter still keeps many accounts from
hitting a channel in step.

The grid starts at the job's first run (each account's own, spread by
:func:`~orderhub.worker.jobs.first_run_offset`) and again wherever the worker moves the
next run by hand (a first sync that ended, a pull resumed when its token bucket allows):
the trigger recognises its own recent fire times and treats any other previous time as a
new start. (It must recognise more than the last one: for each run APScheduler asks for the
run after next while collecting the due runs, then asks again from the run it submits.)
"""

from __future__ import annotations

import random
from collections import OrderedDict
from datetime import datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger

#: Fire times remembered (two are enough for APScheduler's pattern; see the module's docs).
_REMEMBERED = 4


class PollTrigger(IntervalTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
    """Fires every ``seconds``, each run delayed by up to ``jitter`` seconds from its place
    on the grid (see the module's docs). Called from the scheduler's thread only."""

    def __init__(self, seconds: float, jitter: float = 0.0, *, rng: random.Random | None = None):
        super().__init__(seconds=seconds)
        self.spread = max(0.0, jitter)
        self._random = rng or random.Random()  # spreading load, not a secret
        # The fire times handed out lately, each with its place on the grid.
        self._due: OrderedDict[datetime, datetime] = OrderedDict()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            # Every pull job is added with its first run time: this is APScheduler's own
            # start-date rule, for a job added without one.
            first: datetime | None = super().get_next_fire_time(None, now)
            return first
        interval: timedelta = self.interval
        due = self._due.get(previous_fire_time, previous_fire_time) + interval
        fire = due + timedelta(seconds=self._random.uniform(0.0, self.spread))
        self._due[fire] = due
        while len(self._due) > _REMEMBERED:
            self._due.popitem(last=False)
        return fire

    def __str__(self) -> str:
        return f"{super().__str__()} jitter {self.spread:g}s, on a grid"

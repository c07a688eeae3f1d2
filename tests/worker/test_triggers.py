"""The pull trigger under APScheduler's own calls: runs keep to the account's interval on
average, each within its jitter of its place on the grid, however late the scheduler is."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from orderhub.worker.triggers import PollTrigger

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=60)
JITTER = timedelta(seconds=6)


def _job(trigger: IntervalTrigger, first: datetime = START) -> Job:
    """A job as the worker adds it (its first run given), on a scheduler never started."""
    return BackgroundScheduler(timezone=UTC).add_job(
        print, trigger, next_run_time=first, coalesce=True
    )


def _fire(job: Job, now: datetime) -> list[datetime]:
    """What APScheduler 3's scheduler loop does with a due job at ``now``
    (``BaseScheduler._process_jobs``): collect the run times due (asking the trigger for
    each next one), submit the last (coalesced), then ask the trigger again from it for
    the job's next run time. Returns the run times collected."""
    run_times: list[datetime] = job._get_run_times(now)[-1:]
    job._modify(next_run_time=job.trigger.get_next_fire_time(run_times[-1], now))
    return run_times


def _runs(job: Job, count: int, late: timedelta = timedelta(0)) -> list[datetime]:
    """``count`` runs of ``job``, each picked up ``late`` after it was due."""
    runs = []
    for _ in range(count):
        runs.extend(_fire(job, job.next_run_time + late))
    return runs


def _trigger(seed: int = 7) -> PollTrigger:
    return PollTrigger(INTERVAL.total_seconds(), JITTER.total_seconds(), rng=random.Random(seed))


@pytest.mark.parametrize("late", [timedelta(0), timedelta(milliseconds=30)])
def test_runs_keep_to_the_interval_and_each_stays_within_its_jitter(late: timedelta) -> None:
    runs = _runs(_job(_trigger()), 500, late)
    # Run k is due k intervals after the first and delayed by at most the jitter: the
    # delays never add up, so 499 gaps span 499 intervals give or take one jitter.
    offsets = [run - (START + k * INTERVAL) for k, run in enumerate(runs)]
    assert min(offsets) >= timedelta(0)
    assert max(offsets) <= JITTER
    assert abs(runs[-1] - runs[0] - 499 * INTERVAL) <= JITTER
    # And the jitter does spread them: not every run at the same place of its interval.
    assert max(offsets) - min(offsets) > JITTER / 2


def test_apschedulers_own_jitter_adds_up_which_is_why_the_worker_does_not_use_it() -> None:
    """The reason for PollTrigger, kept as a check on the APScheduler version in use: its
    jittered interval trigger starts each run from the last run's jittered time."""
    stock = IntervalTrigger(seconds=INTERVAL.total_seconds(), jitter=JITTER.total_seconds())
    runs = _runs(_job(stock), 500)
    assert runs[-1] - runs[0] > 499 * INTERVAL + 100 * JITTER


def test_a_scheduler_late_by_intervals_runs_once_and_comes_back_to_the_grid() -> None:
    job = _job(_trigger())
    _runs(job, 3)
    # The worker was stopped in the debugger, or the machine slept: three and a half
    # intervals pass before the job is looked at again.
    now = job.next_run_time + 3 * INTERVAL + INTERVAL / 2
    missed = _fire(job, now)
    assert len(missed) == 1  # coalesced
    nxt = job.next_run_time
    assert nxt > now
    on_grid = START + 7 * INTERVAL
    assert on_grid <= nxt <= on_grid + JITTER


def test_a_run_moved_by_hand_starts_the_grid_again_from_there() -> None:
    """The worker moves a pull's next run itself (a first sync ended, a waiting pull
    resumed when its bucket allows): the account's rhythm goes on from that run."""
    job = _job(_trigger())
    _runs(job, 3)
    moved = job.next_run_time + timedelta(seconds=17.25)
    job._modify(next_run_time=moved)
    runs = _runs(job, 50)
    assert runs[0] == moved
    offsets = [run - (moved + k * INTERVAL) for k, run in enumerate(runs)]
    assert timedelta(0) <= min(offsets) and max(offsets) <= JITTER


def test_without_jitter_runs_are_exactly_an_interval_apart() -> None:
    runs = _runs(_job(PollTrigger(INTERVAL.total_seconds())), 20, late=timedelta(seconds=2))
    assert {b - a for a, b in itertools.pairwise(runs)} == {INTERVAL}

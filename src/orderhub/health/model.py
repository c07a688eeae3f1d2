"""The health model's vocabulary: the states an account can be in, the rules that make a
fact a problem, and the records the evaluation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row

CRITICAL = "critical"
WARNING = "warning"


@dataclass(frozen=True)
class StateDoc:
    """What a state means and what to do about it (the runbook is checked against these)."""

    severity: str  # critical | warning | "" for the calm states
    rank: int  # higher is worse; sorts accounts worst first
    meaning: str
    action: str


#: Every state an account can be in, worst first. A problem's ``code`` is one of the keys
#: with a severity; ``AccountHealth.state`` is any key.
STATES: dict[str, StateDoc] = {
    "credentials_refused": StateDoc(
        CRITICAL,
        100,
        "The channel refused the account's credentials; nothing syncs until they are renewed.",
        "Re-authorise the account on the channel, put the new secret in its variable and "
        "restart the worker (the fix in the problem names the variable).",
    ),
    "unusable": StateDoc(
        CRITICAL,
        95,
        "The account cannot be started: its configuration is incomplete or its connector "
        "does not load.",
        "Fix the account in the configuration and check it with `orderhub config check`.",
    ),
    "never_succeeded": StateDoc(
        CRITICAL,
        90,
        "No run of this account has ever succeeded, and at least one failed.",
        "Read the last error and its fix (`orderhub failures --account ID`); usually a wrong "
        "address or credentials.",
    ),
    "failing": StateDoc(
        CRITICAL,
        80,
        "The last runs failed in a row (at least the failure-streak threshold).",
        "Read the last error and its fix; nothing is lost, the next good run catches up.",
    ),
    "stale": StateDoc(
        CRITICAL,
        70,
        "No successful run for several poll intervals, whatever the reason (runs "
        "interrupted, skipped because the previous one is still running, or no worker).",
        "Check that a worker runs for this store (`orderhub health`) and read its logs for "
        "worker.run_skipped or sync.started without sync.finished.",
    ),
    "credentials_expiring": StateDoc(
        WARNING,
        60,
        "A credential expires soon (warned 30 and 7 days ahead; critical within 7 days).",
        "Renew the credential before the date in the problem, as its fix says.",
    ),
    "push_conflict": StateDoc(
        CRITICAL,
        55,
        "A tracking push was not sent because the order changed on the channel (e.g. "
        "cancelled after the shipment was recorded).",
        "Decide per shipment: `orderhub pushes list --failed`, then cancel the shipment or "
        "retry it.",
    ),
    "pushes_failed": StateDoc(
        CRITICAL,
        50,
        "The channel refused tracking pushes; the buyers have no tracking.",
        "See `orderhub pushes list --failed`; fix the cause, then "
        "`orderhub pushes retry --all-failed`.",
    ),
    "push_not_reflected": StateDoc(
        WARNING,
        45,
        "The channel accepted a push, but its order does not show as shipped afterwards.",
        "Check the order on the channel; see `orderhub pushes list --failed`.",
    ),
    "push_backlog": StateDoc(
        WARNING,
        40,
        "Tracking pushes have been waiting longer than the backlog threshold.",
        "Check the push job's logs (push.* events): the channel may be down or throttling.",
    ),
    "awaiting_mapping": StateDoc(
        WARNING,
        30,
        "Orders have waited for a SKU mapping longer than the threshold.",
        "Map their SKUs: `orderhub skus unmapped`, then `orderhub skus map`.",
    ),
    "quarantined": StateDoc(
        WARNING,
        20,
        "Records that could not be read were quarantined since the last look.",
        "Look at them with `orderhub failures` (that counts as the look); fix the order on "
        "the channel or report the connector bug with the kept payload.",
    ),
    "pending": StateDoc("", 3, "Configured, but no run has happened yet.", "Nothing to do."),
    "ok": StateDoc("", 2, "The last run succeeded and nothing waits for a person.", "Nothing."),
    "unconfigured": StateDoc(
        "",
        1,
        "The store has data of an account that is no longer in the configuration.",
        "Nothing, unless the account should still sync: add it back to the configuration.",
    ),
    "disabled": StateDoc("", 0, "The account is configured with enabled = false.", "Nothing."),
}

# Problems that already say the pulls do not work: "stale" would only repeat them.
_PULL_PROBLEMS = frozenset({"credentials_refused", "unusable", "never_succeeded", "failing"})


@dataclass(frozen=True)
class HealthRules:
    """Thresholds that make a fact a problem (``[alerts.rules]`` overrides each).

    A value of 0 (or an empty tuple) switches the rule off.
    """

    failure_streak: int = 3
    credentials_expiring_days: tuple[int, ...] = (30, 7)
    stale_intervals: int = 3
    push_backlog_after: timedelta = timedelta(hours=1)
    awaiting_mapping_after: timedelta = timedelta(hours=24)
    quarantined: bool = True
    pushes: bool = True


@dataclass(frozen=True)
class Problem:
    """One thing about an account that needs a person.

    ``stage`` tells apart degrees of one problem that deserve a new alert (the 30-day and
    the 7-day credential warning); alerts are keyed on (account, code) and re-sent when the
    stage changes.
    """

    code: str
    summary: str
    fix: str
    since: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    severity: str = CRITICAL
    stage: str = ""

    @property
    def rank(self) -> int:
        return STATES[self.code].rank


@dataclass(frozen=True)
class RunInfo:
    """The facts of one pull run (a ``sync_runs`` row), without its counters."""

    id: int
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    error_kind: str | None
    error: str | None
    fix: str | None

    @classmethod
    def of(cls, row: Row[Any]) -> RunInfo:
        return cls(
            id=int(row.id),
            outcome=str(row.outcome),
            started_at=row.started_at,
            finished_at=row.finished_at,
            error_kind=row.error_kind,
            error=row.error,
            fix=row.fix,
        )


@dataclass
class AccountHealth:
    """One account's health; ``problems`` are sorted worst first."""

    account: str
    channel: str
    enabled: bool
    configured: bool
    state: str
    problems: list[Problem]
    last_run: RunInfo | None
    last_success: datetime | None
    cursor: datetime | None
    cursor_lag: timedelta | None
    failure_streak: int
    interval: timedelta | None
    orders: int
    quarantined_open: int
    #: push status -> count (pending, sent, retrying, failed, conflict, not_reflected)
    pushes: dict[str, int]
    #: facts worth showing that are below a threshold (a single failed run)
    notes: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.problems)

    @property
    def severity(self) -> str:
        """``critical``, ``warning`` or ``ok``."""
        if any(p.severity == CRITICAL for p in self.problems):
            return CRITICAL
        return WARNING if self.problems else "ok"

    @property
    def rank(self) -> int:
        """Sort key for "worst first" (higher is worse): the worst problem's rank, critical
        problems above every warning."""
        if not self.problems:
            return STATES[self.state].rank
        worst = max(self.problems, key=problem_order)
        return problem_order(worst)


def problem_order(problem: Problem) -> int:
    return problem.rank + (1000 if problem.severity == CRITICAL else 0)

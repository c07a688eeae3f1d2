"""The health of every account, computed in one place from the store, the configuration and
the time: ``orderhub status``, the metrics, the alerts and the web console all read it here,
so they can never disagree about whether an account needs a person.

Public API (stable; the web console calls it)::

    account_health(connection, config, now, *, rules=None) -> list[AccountHealth]
        every configured or stored account, worst first
    worker_instances(connection, now, *, max_age=...) -> list[Instance]
        the worker processes whose heartbeat is in this store
    acknowledge_quarantine(connection, now, *, account=None) -> int
        "someone looked": quarantined records stop counting as new

An :class:`AccountHealth` has a ``state`` (the code of its worst :class:`Problem`, or one of
the calm states ``ok``, ``pending``, ``disabled``, ``unconfigured``) and a list of problems,
each with a ``code`` from :data:`STATES`, a one-line ``summary``, a ``fix``, ``since`` (when
it started) and ``details`` (numbers, ids, dates: never a secret or a buyer's data). Pure
reading: nothing here writes, except :func:`acknowledge_quarantine`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, func, select, update

from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.store.heartbeats import Instance, live_instances
from orderhub.store.ingest import CURSORS, ORDERS, QUARANTINE
from orderhub.store.runs import ACCOUNT_STATE, RUNS
from orderhub.store.tables import metadata
from orderhub.store.types import UTCDateTime

if TYPE_CHECKING:
    from orderhub.config import AccountConfig, AppConfig

__all__ = [
    "CRITICAL",
    "STATES",
    "WARNING",
    "AccountHealth",
    "HealthRules",
    "Instance",
    "Problem",
    "RunInfo",
    "StateDoc",
    "account_health",
    "acknowledge_quarantine",
    "worker_instances",
]

CRITICAL = "critical"
WARNING = "warning"

PUSHES = metadata.tables["pushes"]


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
        worst = max(self.problems, key=_problem_order)
        return _problem_order(worst)


def _problem_order(problem: Problem) -> int:
    return problem.rank + (1000 if problem.severity == CRITICAL else 0)


def worker_instances(
    connection: Connection, now: datetime, *, max_age: timedelta = timedelta(seconds=90)
) -> list[Instance]:
    """The worker processes beating into this store within ``max_age``, oldest first."""
    return live_instances(connection, now, max_age=max_age)


def acknowledge_quarantine(
    connection: Connection, now: datetime, *, account: str | None = None
) -> int:
    """Mark open quarantined records as seen, so they no longer count as new ("quarantined
    since the last look"). Returns how many were marked."""
    query = update(QUARANTINE).where(
        QUARANTINE.c.resolved_at.is_(None), QUARANTINE.c.acknowledged_at.is_(None)
    )
    if account is not None:
        query = query.where(QUARANTINE.c.account_id == account)
    return int(connection.execute(query.values(acknowledged_at=now)).rowcount or 0)


def account_health(
    connection: Connection,
    config: AppConfig,
    now: datetime,
    *,
    rules: HealthRules | None = None,
) -> list[AccountHealth]:
    """The health of every configured account and every account the store knows, worst
    first (then by id). ``rules`` defaults to the configuration's ``[alerts.rules]``."""
    if rules is None:
        rules = config.alerts.rules
    configured = {account.id: account for account in config.accounts}
    stored = set(connection.execute(select(RUNS.c.account_id).distinct()).scalars())
    stored.update(connection.execute(select(ORDERS.c.account_id).distinct()).scalars())
    instances = live_instances(connection, now, max_age=timedelta(seconds=90))
    worker_since = min((i.started_at for i in instances), default=None)
    result = [
        _one(
            connection,
            account_id,
            account=configured.get(account_id),
            now=now,
            rules=rules,
            worker_since=worker_since,
        )
        for account_id in sorted(set(configured) | stored)
    ]
    result.sort(key=lambda h: (-h.rank, h.account))
    return result


def _one(
    connection: Connection,
    account_id: str,
    *,
    account: AccountConfig | None,
    now: datetime,
    rules: HealthRules,
    worker_since: datetime | None,
) -> AccountHealth:
    last_row = connection.execute(
        select(RUNS).where(RUNS.c.account_id == account_id).order_by(RUNS.c.id.desc()).limit(1)
    ).one_or_none()
    success = connection.execute(
        select(RUNS.c.id, RUNS.c.finished_at)
        .where(RUNS.c.account_id == account_id, RUNS.c.outcome == "succeeded")
        .order_by(RUNS.c.id.desc())
        .limit(1)
    ).one_or_none()
    after_success = RUNS.c.id > (success.id if success else 0)
    failed = list(
        connection.execute(
            select(RUNS)
            .where(RUNS.c.account_id == account_id, RUNS.c.outcome == "failed", after_success)
            .order_by(RUNS.c.id)
        )
    )
    # The streak counts failed runs since the last success; interrupted runs neither break
    # nor extend it (a restart mid-retry says nothing about whether the channel works).
    streak = len(failed)
    first_run_at = connection.execute(
        select(func.min(RUNS.c.started_at, type_=UTCDateTime())).where(
            RUNS.c.account_id == account_id
        )
    ).scalar_one_or_none()
    cursor = connection.execute(
        select(func.min(CURSORS.c.position, type_=UTCDateTime())).where(
            CURSORS.c.account_id == account_id
        )
    ).scalar_one_or_none()
    orders = int(
        connection.execute(
            select(func.count()).where(ORDERS.c.account_id == account_id)
        ).scalar_one()
    )
    attention = connection.execute(
        select(ACCOUNT_STATE).where(
            ACCOUNT_STATE.c.account_id == account_id, ACCOUNT_STATE.c.needs_attention
        )
    ).one_or_none()
    quarantine_open = int(
        connection.execute(
            select(func.count()).where(
                QUARANTINE.c.account_id == account_id, QUARANTINE.c.resolved_at.is_(None)
            )
        ).scalar_one()
    )
    pushes = _push_counts(connection, account_id)

    last_run = RunInfo.of(last_row) if last_row is not None else None
    last_success = success.finished_at if success else None
    channel = account.connector if account else (last_row.channel if last_row else "-")
    problems: list[Problem] = []
    notes: list[str] = []
    enabled = account.enabled if account else False

    if account is not None and enabled:
        last_failed = RunInfo.of(failed[-1]) if failed else None
        if attention is not None:
            problems.append(_attention_problem(attention, last_failed))
        if success is None and failed:
            assert last_failed is not None
            problems.append(
                Problem(
                    "never_succeeded",
                    f"no run has ever succeeded ({streak} failed); last error "
                    f"({last_failed.error_kind}): {last_failed.error}",
                    last_failed.fix or STATES["never_succeeded"].action,
                    since=first_run_at,
                    details=_failure_details(last_failed, streak),
                )
            )
        elif rules.failure_streak and streak >= rules.failure_streak:
            assert last_failed is not None
            problems.append(
                Problem(
                    "failing",
                    f"{streak} runs failed in a row since "
                    f"{failed[0].started_at:%Y-%m-%d %H:%M} UTC; last error "
                    f"({last_failed.error_kind}): {last_failed.error}",
                    last_failed.fix or STATES["failing"].action,
                    since=failed[0].started_at,
                    details=_failure_details(last_failed, streak),
                )
            )
        elif streak:
            notes.append(
                f"the last {streak} run{'s' if streak > 1 else ''} failed (alert at "
                f"{rules.failure_streak} in a row)"
            )
        if any(p.code == "credentials_refused" for p in problems):
            problems = [p for p in problems if p.code not in ("never_succeeded", "failing")]
        stale = _stale(
            account,
            rules,
            now=now,
            last_success=last_success,
            first_run_at=first_run_at,
            worker_since=worker_since,
        )
        if stale is not None and not any(p.code in _PULL_PROBLEMS for p in problems):
            problems.append(stale)
        problems.extend(_expiry_problems(account, rules, now))
    if enabled and rules.pushes:
        problems.extend(_push_problems(connection, account_id, now, rules))
    if enabled and rules.quarantined:
        problem = _quarantine_problem(connection, account_id)
        if problem is not None:
            problems.append(problem)
    if enabled and rules.awaiting_mapping_after:
        problem = _mapping_problem(connection, account_id, now, rules.awaiting_mapping_after)
        if problem is not None:
            problems.append(problem)

    problems.sort(key=_problem_order, reverse=True)
    if problems:
        state = problems[0].code
    elif account is None:
        state = "unconfigured"
    elif not enabled:
        state = "disabled"
    elif last_run is None:
        state = "pending"
    else:
        state = "ok"
    return AccountHealth(
        account=account_id,
        channel=channel,
        enabled=enabled,
        configured=account is not None,
        state=state,
        problems=problems,
        last_run=last_run,
        last_success=last_success,
        cursor=cursor,
        cursor_lag=(now - cursor) if cursor else None,
        failure_streak=streak,
        interval=account.interval if account else None,
        orders=orders,
        quarantined_open=quarantine_open,
        pushes=pushes,
        notes=notes,
    )


def _failure_details(run: RunInfo, streak: int) -> dict[str, Any]:
    return {
        "streak": streak,
        "run_id": run.id,
        "error_kind": run.error_kind,
        "error": run.error,
        "last_failed_at": run.started_at.isoformat(),
    }


def _attention_problem(attention: Row[Any], last_failed: RunInfo | None) -> Problem:
    reason = str(attention.reason or "the account needs attention")
    fix = str(attention.fix or STATES["unusable"].action)
    if last_failed is not None and last_failed.error_kind == "auth":
        return Problem(
            "credentials_refused",
            reason,
            fix,
            since=attention.since,
            details={"run_id": last_failed.id, "error_kind": "auth"},
        )
    return Problem("unusable", reason, fix, since=attention.since)


def _stale(
    account: AccountConfig,
    rules: HealthRules,
    *,
    now: datetime,
    last_success: datetime | None,
    first_run_at: datetime | None,
    worker_since: datetime | None,
) -> Problem | None:
    if not rules.stale_intervals:
        return None
    limit = account.interval * rules.stale_intervals
    # Since when the account should have succeeded: its last success, else its first run,
    # else (never run at all) the start of the oldest worker beating into this store.
    reference = last_success or first_run_at or worker_since
    if reference is None or now - reference <= limit:
        return None
    silent = now - reference
    what = "no successful run" if last_success is None else "no successful run since"
    when = f" {last_success:%Y-%m-%d %H:%M} UTC" if last_success else ""
    return Problem(
        "stale",
        f"{what}{when} ({_human(silent)}; the poll interval is {_human(account.interval)})",
        STATES["stale"].action,
        since=reference,
        details={
            "seconds_without_success": int(silent.total_seconds()),
            "interval_seconds": int(account.interval.total_seconds()),
        },
    )


def _expiry_problems(account: AccountConfig, rules: HealthRules, now: datetime) -> list[Problem]:
    if not rules.credentials_expiring_days:
        return []
    try:
        cls = load_connector(account.connector)
    except ConnectorLoadError:
        return []
    expiry = cls.credentials_expiry(account.settings)
    if expiry is None:
        return []
    days = (expiry.expires_on - now.date()).days
    stages = sorted(d for d in rules.credentials_expiring_days if d > 0)
    stage = next((d for d in stages if days <= d), None)
    if stage is None:
        return []
    # With two warnings the nearer one is critical; a single warning is critical from 7 days.
    critical = days <= stages[0] if len(stages) > 1 else days <= 7
    when = (
        f"expired on {expiry.expires_on.isoformat()}"
        if days < 0
        else f"expires on {expiry.expires_on.isoformat()} (in {days} day{'s' * (days != 1)})"
    )
    return [
        Problem(
            "credentials_expiring",
            f"{expiry.what} {when}",
            expiry.fix,
            since=datetime.combine(expiry.expires_on - timedelta(days=stage), time(), UTC),
            details={
                "expires_on": expiry.expires_on.isoformat(),
                "days_left": days,
                "warned_at_days": stage,
            },
            severity=CRITICAL if critical else WARNING,
            stage=f"{stage}d",
        )
    ]


def credential_expiry_date(account: AccountConfig) -> date | None:
    """The configured end of life of the account's credentials (for the metrics)."""
    try:
        cls = load_connector(account.connector)
    except ConnectorLoadError:
        return None
    expiry = cls.credentials_expiry(account.settings)
    return expiry.expires_on if expiry else None


def _push_counts(connection: Connection, account_id: str) -> dict[str, int]:
    counts = {
        str(status): int(n)
        for status, n in connection.execute(
            select(PUSHES.c.status, func.count())
            .where(
                PUSHES.c.account_id == account_id,
                PUSHES.c.status.in_(("pending", "sent", "retrying", "failed", "conflict")),
            )
            .group_by(PUSHES.c.status)
        )
    }
    not_reflected = _count(
        connection,
        PUSHES.c.account_id == account_id,
        PUSHES.c.not_reflected_at.isnot(None),
        PUSHES.c.verified_at.is_(None),
    )
    if not_reflected:
        counts["not_reflected"] = not_reflected
    return counts


def _count(connection: Connection, *conditions: Any) -> int:
    return int(connection.execute(select(func.count()).where(*conditions)).scalar_one())


def _oldest(connection: Connection, column: Any, *conditions: Any) -> datetime | None:
    value: datetime | None = connection.execute(
        select(func.min(column, type_=UTCDateTime())).where(*conditions)
    ).scalar_one_or_none()
    return value


def _push_problems(
    connection: Connection, account_id: str, now: datetime, rules: HealthRules
) -> list[Problem]:
    problems: list[Problem] = []
    mine = PUSHES.c.account_id == account_id
    for code, status in (("push_conflict", "conflict"), ("pushes_failed", "failed")):
        n = _count(connection, mine, PUSHES.c.status == status)
        if n:
            since = _oldest(connection, PUSHES.c.updated_at, mine, PUSHES.c.status == status)
            problems.append(
                Problem(
                    code,
                    f"{n} tracking push{'es' * (n != 1)} "
                    f"{'in conflict' if status == 'conflict' else 'refused by the channel'}",
                    STATES[code].action,
                    since=since,
                    details={"pushes": n},
                )
            )
    not_reflected = (PUSHES.c.not_reflected_at.isnot(None), PUSHES.c.verified_at.is_(None))
    n = _count(connection, mine, *not_reflected)
    if n:
        problems.append(
            Problem(
                "push_not_reflected",
                f"{n} accepted tracking push{'es' * (n != 1)} not reflected on the channel",
                STATES["push_not_reflected"].action,
                since=_oldest(connection, PUSHES.c.not_reflected_at, mine, *not_reflected),
                details={"pushes": n},
                severity=WARNING,
            )
        )
    if rules.push_backlog_after:
        waiting = (
            PUSHES.c.status.in_(("pending", "sent", "retrying")),
            PUSHES.c.created_at <= now - rules.push_backlog_after,
        )
        n = _count(connection, mine, *waiting)
        if n:
            problems.append(
                Problem(
                    "push_backlog",
                    f"{n} tracking push{'es' * (n != 1)} waiting for more than "
                    f"{_human(rules.push_backlog_after)}",
                    STATES["push_backlog"].action,
                    since=_oldest(connection, PUSHES.c.created_at, mine, *waiting),
                    details={"pushes": n},
                    severity=WARNING,
                )
            )
    return problems


def _quarantine_problem(connection: Connection, account_id: str) -> Problem | None:
    new = (
        QUARANTINE.c.account_id == account_id,
        QUARANTINE.c.resolved_at.is_(None),
        QUARANTINE.c.acknowledged_at.is_(None),
    )
    n = _count(connection, *new)
    if not n:
        return None
    return Problem(
        "quarantined",
        f"{n} record{'s' * (n != 1)} quarantined since the last look",
        STATES["quarantined"].action,
        since=_oldest(connection, QUARANTINE.c.first_seen_at, *new),
        details={"records": n},
        severity=WARNING,
    )


def _mapping_problem(
    connection: Connection, account_id: str, now: datetime, after: timedelta
) -> Problem | None:
    old = (
        ORDERS.c.account_id == account_id,
        ORDERS.c.awaiting_mapping.is_(True),
        ORDERS.c.first_seen_at <= now - after,
    )
    n = _count(connection, *old)
    if not n:
        return None
    return Problem(
        "awaiting_mapping",
        f"{n} order{'s' * (n != 1)} awaiting a SKU mapping for more than {_human(after)}",
        STATES["awaiting_mapping"].action,
        since=_oldest(connection, ORDERS.c.first_seen_at, *old),
        details={"orders": n},
        severity=WARNING,
    )


def awaiting_mapping_total(connection: Connection, account_id: str) -> int:
    """Orders of the account waiting for a SKU mapping (any age; for the metrics)."""
    return _count(
        connection, ORDERS.c.account_id == account_id, ORDERS.c.awaiting_mapping.is_(True)
    )


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def problem_codes() -> Iterable[str]:
    """Every problem code (states with a severity)."""
    return [code for code, doc in STATES.items() if doc.severity]

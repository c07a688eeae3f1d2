"""The rules that turn an account's facts into problems (pure: no store access)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from orderhub.health.facts import AccountFacts, Tally
from orderhub.health.model import CRITICAL, STATES, WARNING, HealthRules, Problem, RunInfo
from orderhub.humanize import human_duration
from orderhub.registry import ConnectorLoadError, load_connector

if TYPE_CHECKING:
    from orderhub.config import AccountConfig


def pull_problems(
    facts: AccountFacts,
    account: AccountConfig,
    rules: HealthRules,
    *,
    now: datetime,
    worker_since: datetime | None,
    notes: list[str],
) -> list[Problem]:
    """Problems of the pulls: refused credentials, unusable, never succeeded, failing,
    stale, expiring credentials."""
    problems: list[Problem] = []
    streak = facts.failed
    last_failed = RunInfo.of(facts.last_failed) if facts.last_failed is not None else None
    if facts.attention is not None:
        problems.append(_attention_problem(facts.attention, last_failed))
    if facts.success_id is None and streak:
        assert last_failed is not None
        problems.append(
            Problem(
                "never_succeeded",
                f"no run has ever succeeded ({streak} failed); last error "
                f"({last_failed.error_kind}): {last_failed.error}",
                last_failed.fix or STATES["never_succeeded"].action,
                since=facts.first_run_at,
                details=_failure_details(last_failed, streak),
            )
        )
    elif rules.failure_streak and streak >= rules.failure_streak:
        assert last_failed is not None and facts.first_failed is not None
        began = facts.first_failed.started_at
        problems.append(
            Problem(
                "failing",
                f"{streak} runs failed in a row since {began:%Y-%m-%d %H:%M} UTC; last error "
                f"({last_failed.error_kind}): {last_failed.error}",
                last_failed.fix or STATES["failing"].action,
                since=began,
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
        last_success=facts.success_finished_at if facts.success_id is not None else None,
        first_run_at=facts.first_run_at,
        worker_since=worker_since,
    )
    if stale is not None and not any(p.code in PULL_PROBLEMS for p in problems):
        problems.append(stale)
    problems.extend(expiry_problems(account, rules, now))
    return problems


# Problems that already say the pulls do not work: "stale" would only repeat them.
PULL_PROBLEMS = frozenset({"credentials_refused", "unusable", "never_succeeded", "failing"})


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
        f"{what}{when} ({human_duration(silent)}; the poll interval is "
        f"{human_duration(account.interval)})",
        STATES["stale"].action,
        since=reference,
        details={
            "seconds_without_success": int(silent.total_seconds()),
            "interval_seconds": int(account.interval.total_seconds()),
        },
    )


def expiry_problems(account: AccountConfig, rules: HealthRules, now: datetime) -> list[Problem]:
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


def push_problems(facts: AccountFacts, rules: HealthRules) -> list[Problem]:
    problems = [
        _tally_problem(
            code,
            facts.pushes.get(status),
            _counted("tracking push", "es", what),
            "pushes",
            severity=CRITICAL,
        )
        for code, status, what in (
            ("push_conflict", "conflict", "in conflict"),
            ("pushes_failed", "failed", "refused by the channel"),
        )
    ]
    problems.append(
        _tally_problem(
            "push_not_reflected",
            facts.not_reflected,
            _counted("accepted tracking push", "es", "not reflected on the channel"),
            "pushes",
        )
    )
    if rules.push_backlog_after:
        after = human_duration(rules.push_backlog_after)
        problems.append(
            _tally_problem(
                "push_backlog",
                facts.backlog,
                _counted("tracking push", "es", f"waiting for more than {after}"),
                "pushes",
            )
        )
    return [problem for problem in problems if problem is not None]


def quarantine_problem(facts: AccountFacts) -> Problem | None:
    return _tally_problem(
        "quarantined",
        facts.quarantine_new,
        _counted("record", "s", "quarantined since the last look"),
        "records",
    )


def mapping_problem(facts: AccountFacts, after: timedelta) -> Problem | None:
    return _tally_problem(
        "awaiting_mapping",
        facts.awaiting_mapping,
        _counted("order", "s", f"awaiting a SKU mapping for more than {human_duration(after)}"),
        "orders",
    )


def _counted(noun: str, plural: str, rest: str) -> Callable[[int], str]:
    """``"3 orders awaiting ..."``: the count, ``noun`` (plus ``plural`` but for one), ``rest``."""
    return lambda n: f"{n} {noun}{plural * (n != 1)} {rest}"


def _tally_problem(
    code: str,
    tally: Tally | None,
    summary: Callable[[int], str],
    unit: str,
    *,
    severity: str = WARNING,
) -> Problem | None:
    """The problem ``code`` for the ``tally.n`` items (``unit`` in its details) counted since
    ``tally.oldest``; None when there are none."""
    if tally is None or tally.n <= 0:
        return None
    return Problem(
        code,
        summary(tally.n),
        STATES[code].action,
        since=tally.oldest,
        details={unit: tally.n},
        severity=severity,
    )

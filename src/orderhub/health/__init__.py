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
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, update

from orderhub.health.facts import (
    AccountFacts,
    awaiting_mapping_total,
    awaiting_mapping_totals,
    read_facts,
)
from orderhub.health.model import (
    CRITICAL,
    STATES,
    WARNING,
    AccountHealth,
    HealthRules,
    Problem,
    RunInfo,
    StateDoc,
    problem_order,
)
from orderhub.health.rules import (
    mapping_problem,
    pull_problems,
    push_problems,
    quarantine_problem,
)
from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.store.heartbeats import Instance, live_instances
from orderhub.store.ingest import QUARANTINE

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
    "awaiting_mapping_total",
    "awaiting_mapping_totals",
    "worker_instances",
]


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
    first (then by id). ``rules`` defaults to the configuration's ``[alerts.rules]``.

    Reads the store in a fixed handful of statements whatever the number of accounts
    (:mod:`orderhub.health.facts`); nothing is written."""
    if rules is None:
        rules = config.alerts.rules
    configured = {account.id: account for account in config.accounts}
    facts = read_facts(connection, now, rules)
    stored = {account for account, item in facts.items() if item.stored}
    instances = live_instances(connection, now, max_age=timedelta(seconds=90))
    worker_since = min((i.started_at for i in instances), default=None)
    result = [
        _one(
            account_id,
            facts.get(account_id) or AccountFacts(),
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
    account_id: str,
    facts: AccountFacts,
    *,
    account: AccountConfig | None,
    now: datetime,
    rules: HealthRules,
    worker_since: datetime | None,
) -> AccountHealth:
    last_row = facts.last_run
    last_run = RunInfo.of(last_row) if last_row is not None else None
    channel = account.connector if account else (last_row.channel if last_row else "-")
    problems: list[Problem] = []
    notes: list[str] = []
    enabled = account.enabled if account else False
    if account is not None and enabled:
        problems.extend(
            pull_problems(facts, account, rules, now=now, worker_since=worker_since, notes=notes)
        )
    if enabled and rules.pushes:
        problems.extend(push_problems(facts, rules))
    if enabled and rules.quarantined:
        problem = quarantine_problem(facts)
        if problem is not None:
            problems.append(problem)
    if enabled and rules.awaiting_mapping_after:
        problem = mapping_problem(facts, rules.awaiting_mapping_after)
        if problem is not None:
            problems.append(problem)

    problems.sort(key=problem_order, reverse=True)
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
    pushes = {status: tally.n for status, tally in facts.pushes.items()}
    if facts.not_reflected is not None and facts.not_reflected.n:
        pushes["not_reflected"] = facts.not_reflected.n
    return AccountHealth(
        account=account_id,
        channel=channel,
        enabled=enabled,
        configured=account is not None,
        state=state,
        problems=problems,
        last_run=last_run,
        last_success=facts.success_finished_at if facts.success_id is not None else None,
        cursor=facts.cursor,
        cursor_lag=(now - facts.cursor) if facts.cursor else None,
        failure_streak=facts.failed,
        interval=account.interval if account else None,
        orders=facts.orders,
        quarantined_open=facts.quarantine_open,
        pushes=pushes,
        notes=notes,
    )


def credential_expiry_date(account: AccountConfig) -> date | None:
    """The configured end of life of the account's credentials (for the metrics)."""
    try:
        cls = load_connector(account.connector)
    except ConnectorLoadError:
        return None
    expiry = cls.credentials_expiry(account.settings)
    return expiry.expires_on if expiry else None


def problem_codes() -> Iterable[str]:
    """Every problem code (states with a severity)."""
    return [code for code, doc in STATES.items() if doc.severity]

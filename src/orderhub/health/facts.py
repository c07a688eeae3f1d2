"""What the health model reads from the store, for every account at once.

A handful of grouped statements whatever the number of accounts (each answers for all of
them), instead of a dozen statements per account: with hundreds of accounts the per-account
reads cost thousands of round trips on PostgreSQL and held SQLite's lock for seconds
(``bench/bench_accounts.py``). Every statement is answered from an index that starts with
``account_id`` (migration 0007).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from orderhub.health.model import HealthRules
from orderhub.store.ingest import CURSORS, ORDERS, QUARANTINE
from orderhub.store.runs import ACCOUNT_STATE, RUNS
from orderhub.store.tables import metadata
from orderhub.store.types import UTCDateTime

PUSHES = metadata.tables["pushes"]
_COUNTED_PUSHES = ("pending", "sent", "retrying", "failed", "conflict")
_WAITING_PUSHES = ("pending", "sent", "retrying")


@dataclass(frozen=True)
class Tally:
    """How many rows match, and the oldest of their times."""

    n: int
    oldest: datetime | None


@dataclass
class AccountFacts:
    """The store's facts about one account, as the rules need them."""

    last_run: Row[Any] | None = None
    success_id: int | None = None
    success_finished_at: datetime | None = None
    #: failed runs since the last success: their number, the first and the last one
    failed: int = 0
    first_failed: Row[Any] | None = None
    last_failed: Row[Any] | None = None
    first_run_at: datetime | None = None
    cursor: datetime | None = None
    orders: int = 0
    attention: Row[Any] | None = None
    quarantine_open: int = 0
    quarantine_new: Tally | None = None
    #: status -> (count, oldest updated_at), the statuses in _COUNTED_PUSHES
    pushes: dict[str, Tally] = field(default_factory=dict)
    not_reflected: Tally | None = None
    backlog: Tally | None = None
    awaiting_mapping: Tally | None = None

    @property
    def stored(self) -> bool:
        """The store holds runs or orders of the account (it is listed even when it is no
        longer configured)."""
        return self.first_run_at is not None or self.orders > 0


def _utc(column: Any) -> Any:
    return func.min(column, type_=UTCDateTime())


def read_facts(
    connection: Connection, now: datetime, rules: HealthRules
) -> dict[str, AccountFacts]:
    """The facts of every account the store has a row of (see :attr:`AccountFacts.stored`)."""
    facts: defaultdict[str, AccountFacts] = defaultdict(AccountFacts)
    for account, first in connection.execute(
        select(RUNS.c.account_id, _utc(RUNS.c.started_at)).group_by(RUNS.c.account_id)
    ):
        facts[account].first_run_at = first
    last_ids = select(func.max(RUNS.c.id)).group_by(RUNS.c.account_id)
    for row in connection.execute(select(RUNS).where(RUNS.c.id.in_(last_ids))):
        facts[row.account_id].last_run = row
    success = (
        select(RUNS.c.account_id, func.max(RUNS.c.id).label("id"))
        .where(RUNS.c.outcome == "succeeded")
        .group_by(RUNS.c.account_id)
        .subquery()
    )
    for row in connection.execute(
        select(RUNS.c.account_id, RUNS.c.id, RUNS.c.finished_at).where(
            RUNS.c.id.in_(select(success.c.id))
        )
    ):
        facts[row.account_id].success_id = int(row.id)
        facts[row.account_id].success_finished_at = row.finished_at
    # The streak counts failed runs since the last success; interrupted runs neither break
    # nor extend it (a restart mid-retry says nothing about whether the channel works).
    streaks = connection.execute(
        select(RUNS.c.account_id, func.count(), func.min(RUNS.c.id), func.max(RUNS.c.id))
        .select_from(RUNS.outerjoin(success, success.c.account_id == RUNS.c.account_id))
        .where(RUNS.c.outcome == "failed", RUNS.c.id > func.coalesce(success.c.id, 0))
        .group_by(RUNS.c.account_id)
    ).all()
    ends: dict[int, Row[Any]] = {}
    wanted = {int(i) for _, _, low, high in streaks for i in (low, high)}
    if wanted:
        ends = {int(r.id): r for r in connection.execute(select(RUNS).where(RUNS.c.id.in_(wanted)))}
    for account, n, low, high in streaks:
        item = facts[account]
        item.failed, item.first_failed, item.last_failed = int(n), ends[int(low)], ends[int(high)]
    for account, position in connection.execute(
        select(CURSORS.c.account_id, _utc(CURSORS.c.position)).group_by(CURSORS.c.account_id)
    ):
        facts[account].cursor = position
    for account, n in connection.execute(
        select(ORDERS.c.account_id, func.count()).group_by(ORDERS.c.account_id)
    ):
        facts[account].orders = int(n)
    for row in connection.execute(select(ACCOUNT_STATE).where(ACCOUNT_STATE.c.needs_attention)):
        facts[row.account_id].attention = row
    _read_quarantine(connection, facts)
    _read_pushes(connection, facts, now, rules)
    if rules.awaiting_mapping_after:
        for account, tally in _tallies(
            connection,
            ORDERS,
            ORDERS.c.first_seen_at,
            ORDERS.c.awaiting_mapping.is_(True),
            ORDERS.c.first_seen_at <= now - rules.awaiting_mapping_after,
        ).items():
            facts[account].awaiting_mapping = tally
    return dict(facts)


def _tallies(
    connection: Connection, table: Any, oldest: Any, *conditions: ColumnElement[bool]
) -> dict[str, Tally]:
    return {
        account: Tally(int(n), first)
        for account, n, first in connection.execute(
            select(table.c.account_id, func.count(), _utc(oldest))
            .where(and_(*conditions))
            .group_by(table.c.account_id)
        )
    }


def _read_quarantine(connection: Connection, facts: defaultdict[str, AccountFacts]) -> None:
    for account, n in connection.execute(
        select(QUARANTINE.c.account_id, func.count())
        .where(QUARANTINE.c.resolved_at.is_(None))
        .group_by(QUARANTINE.c.account_id)
    ):
        facts[account].quarantine_open = int(n)
    for account, tally in _tallies(
        connection,
        QUARANTINE,
        QUARANTINE.c.first_seen_at,
        QUARANTINE.c.resolved_at.is_(None),
        QUARANTINE.c.acknowledged_at.is_(None),
    ).items():
        facts[account].quarantine_new = tally


def _read_pushes(
    connection: Connection,
    facts: defaultdict[str, AccountFacts],
    now: datetime,
    rules: HealthRules,
) -> None:
    for account, status, n, oldest in connection.execute(
        select(PUSHES.c.account_id, PUSHES.c.status, func.count(), _utc(PUSHES.c.updated_at))
        .where(PUSHES.c.status.in_(_COUNTED_PUSHES))
        .group_by(PUSHES.c.account_id, PUSHES.c.status)
    ):
        facts[account].pushes[str(status)] = Tally(int(n), oldest)
    for account, tally in _tallies(
        connection,
        PUSHES,
        PUSHES.c.not_reflected_at,
        PUSHES.c.not_reflected_at.isnot(None),
        PUSHES.c.verified_at.is_(None),
    ).items():
        facts[account].not_reflected = tally
    if rules.push_backlog_after:
        for account, tally in _tallies(
            connection,
            PUSHES,
            PUSHES.c.created_at,
            PUSHES.c.status.in_(_WAITING_PUSHES),
            PUSHES.c.created_at <= now - rules.push_backlog_after,
        ).items():
            facts[account].backlog = tally


def awaiting_mapping_totals(connection: Connection) -> dict[str, int]:
    """Orders waiting for a SKU mapping (any age), per account (for the metrics)."""
    return {
        account: int(n)
        for account, n in connection.execute(
            select(ORDERS.c.account_id, func.count())
            .where(ORDERS.c.awaiting_mapping.is_(True))
            .group_by(ORDERS.c.account_id)
        )
    }


def awaiting_mapping_total(connection: Connection, account_id: str) -> int:
    """Orders of one account waiting for a SKU mapping (any age)."""
    return int(
        connection.execute(
            select(func.count()).where(
                ORDERS.c.account_id == account_id, ORDERS.c.awaiting_mapping.is_(True)
            )
        ).scalar_one()
    )

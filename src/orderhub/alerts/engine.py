"""Alerts from the health model: one alert per open problem, kept in the store.

:func:`evaluate` compares the problems of this evaluation with the alerts still open, in one
transaction, and queues messages (``alert_deliveries``) for every destination:

* a problem with no open alert opens one (message ``opened``);
* an open alert whose problem got a new stage (the 7-day credential warning after the
  30-day one) is re-sent (``escalated``);
* an open alert unchanged for the quiet period is re-sent (``reminder``);
* an open alert whose problem is gone is resolved (``resolved``).

Messages are sent later by :mod:`orderhub.alerts.dispatch`, so a slow or failing
destination never holds up the evaluation (or the syncing). The alert's ``open_key`` is
unique while open, so two workers on one store never open the same alert twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Table, insert, select, update

from orderhub.alerts.settings import AlertsConfig
from orderhub.health import AccountHealth, Problem
from orderhub.logs import scrub_text
from orderhub.store.ingest import dialect_insert
from orderhub.store.tables import Alert, AlertDelivery, metadata

ALERTS: Table = metadata.tables[Alert.__tablename__]
DELIVERIES: Table = metadata.tables[AlertDelivery.__tablename__]


@dataclass
class Evaluation:
    """What one evaluation changed (alert ids)."""

    opened: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return len(self.opened) + len(self.escalated) + len(self.reminded) + len(self.resolved)


def _clean(problem: Problem) -> dict[str, Any]:
    """The problem's text as stored and sent: registered secrets and e-mails masked."""
    details = {
        key: scrub_text(value) if isinstance(value, str) else value
        for key, value in problem.details.items()
    }
    return {
        "summary": scrub_text(problem.summary),
        "fix": scrub_text(problem.fix),
        "details": details,
        "severity": problem.severity,
        "stage": problem.stage,
    }


def evaluate(
    connection: Connection,
    accounts: Sequence[AccountHealth],
    config: AlertsConfig,
    now: datetime,
) -> Evaluation:
    """Open, re-send and resolve alerts for ``accounts`` (one health evaluation)."""
    log = structlog.get_logger()
    result = Evaluation()
    destinations = [d.name for d in config.destinations]
    current: dict[tuple[str, str], tuple[AccountHealth, Problem]] = {}
    for item in accounts:
        for problem in item.problems:
            if problem.code not in config.mute:
                current[(item.account, problem.code)] = (item, problem)
    open_rows = {
        (row.account_id, row.code): row
        for row in connection.execute(select(ALERTS).where(ALERTS.c.resolved_at.is_(None)))
    }
    for key, (item, problem) in current.items():
        clean = _clean(problem)
        row = open_rows.get(key)
        if row is None:
            alert_id = _open(connection, item, problem, clean, now)
            if alert_id is None:
                continue  # another worker opened it a moment ago
            result.opened.append(alert_id)
            _queue(connection, alert_id, destinations, "opened", now)
            log.warning(
                "alert.opened",
                account=item.account,
                channel=item.channel,
                alert_id=alert_id,
                problem=problem.code,
                severity=problem.severity,
                summary=clean["summary"],
                fix=clean["fix"],
            )
            continue
        kind = None
        if row.stage != problem.stage:
            kind = "escalated"
        elif row.last_notified_at is None or now - row.last_notified_at >= config.quiet_period:
            kind = "reminder"
        values: dict[str, Any] = {"last_seen_at": now, **clean}
        if kind is not None:
            values["last_notified_at"] = now
            values["notifications"] = ALERTS.c.notifications + 1
            _queue(connection, int(row.id), destinations, kind, now)
            (result.escalated if kind == "escalated" else result.reminded).append(int(row.id))
            log.info(
                "alert.escalated" if kind == "escalated" else "alert.reminder",
                account=item.account,
                channel=item.channel,
                alert_id=int(row.id),
                problem=problem.code,
                severity=problem.severity,
            )
        connection.execute(update(ALERTS).where(ALERTS.c.id == row.id).values(**values))
    for key, row in open_rows.items():
        if key in current:
            continue
        done = connection.execute(
            update(ALERTS)
            .where(ALERTS.c.id == row.id, ALERTS.c.resolved_at.is_(None))
            .values(resolved_at=now, open_key=None, last_seen_at=now)
        )
        if not done.rowcount:
            continue
        result.resolved.append(int(row.id))
        _queue(connection, int(row.id), destinations, "resolved", now)
        log.info(
            "alert.resolved",
            account=row.account_id,
            channel=row.channel,
            alert_id=int(row.id),
            problem=row.code,
        )
    return result


def _open(
    connection: Connection,
    item: AccountHealth,
    problem: Problem,
    clean: dict[str, Any],
    now: datetime,
) -> int | None:
    open_key = f"{item.account}:{problem.code}"
    stmt = (
        dialect_insert(connection, ALERTS)
        .values(
            open_key=open_key,
            account_id=item.account,
            channel=item.channel,
            code=problem.code,
            opened_at=now,
            last_seen_at=now,
            last_notified_at=now,
            notifications=1,
            **clean,
        )
        .on_conflict_do_nothing(index_elements=[ALERTS.c.open_key])
        .returning(ALERTS.c.id)
    )
    # No row back: the alert was already open (another worker opened it a moment ago).
    alert_id = connection.execute(stmt).scalar_one_or_none()
    return None if alert_id is None else int(alert_id)


def _queue(
    connection: Connection, alert_id: int, destinations: Iterable[str], kind: str, now: datetime
) -> None:
    rows = [
        {
            "alert_id": alert_id,
            "destination": name,
            "kind": kind,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for name in destinations
    ]
    if rows:
        connection.execute(insert(DELIVERIES), rows)


def recent_alerts(connection: Connection, *, limit: int = 50) -> list[Any]:
    """Open alerts first, then the most recently resolved."""
    open_rows = list(
        connection.execute(
            select(ALERTS).where(ALERTS.c.resolved_at.is_(None)).order_by(ALERTS.c.opened_at)
        )
    )
    closed = list(
        connection.execute(
            select(ALERTS)
            .where(ALERTS.c.resolved_at.isnot(None))
            .order_by(ALERTS.c.resolved_at.desc())
            .limit(limit)
        )
    )
    return open_rows + closed


def delivery_summary(connection: Connection, alert_ids: Sequence[int]) -> dict[int, list[Any]]:
    """alert id -> its deliveries, oldest first."""
    if not alert_ids:
        return {}
    out: dict[int, list[Any]] = {}
    for row in connection.execute(
        select(DELIVERIES).where(DELIVERIES.c.alert_id.in_(alert_ids)).order_by(DELIVERIES.c.id)
    ):
        out.setdefault(int(row.alert_id), []).append(row)
    return out

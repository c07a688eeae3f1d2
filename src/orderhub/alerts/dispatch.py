"""Delivering queued alert messages, with backoff for a destination that fails.

:func:`deliver_due` sends every message whose time has come. A message is claimed first (a
conditional update, atomic on both databases), so two workers never send it twice; a
destination that fails is retried after 10 s, 20 s, 40 s ... up to 30 minutes, and given up
after a day. Within one round, a destination that failed is not tried again, so a
destination that is down costs at most one timeout per round, and other destinations are
not held up behind it. The worker runs this on its own thread: never on a pull's.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Engine, select, update

from orderhub.alerts.engine import ALERTS, DELIVERIES
from orderhub.alerts.send import DeliveryError, Message, send
from orderhub.alerts.settings import AlertsConfig, Destination

RETRY_BASE = timedelta(seconds=10)
RETRY_MAX = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(days=1)
#: how long a claimed message stays claimed (longer than any destination's timeout)
CLAIM_LEASE = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    delay: timedelta = min(RETRY_MAX, RETRY_BASE * (2 ** max(0, attempts - 1)))
    return delay


@dataclass
class Round:
    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    given_up: int = 0


def deliver_due(
    engine: Engine,
    config: AlertsConfig,
    now: datetime,
    *,
    on_sent: Callable[[str, str], None] | None = None,
    on_failed: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> Round:
    """Send the queued messages that are due; returns what happened, per destination."""
    log = structlog.get_logger()
    destinations = {d.name: d for d in config.destinations}
    result = Round()
    with engine.begin() as connection:
        due = list(
            connection.execute(
                select(
                    DELIVERIES,
                    ALERTS.c.account_id,
                    ALERTS.c.channel,
                    ALERTS.c.code,
                    ALERTS.c.severity,
                    ALERTS.c.summary,
                    ALERTS.c.fix,
                    ALERTS.c.opened_at,
                    ALERTS.c.details,
                )
                .join(ALERTS, ALERTS.c.id == DELIVERIES.c.alert_id)
                .where(
                    DELIVERIES.c.status.in_(("pending", "sending")),
                    DELIVERIES.c.next_attempt_at <= now,
                )
                .order_by(DELIVERIES.c.id)
                .limit(200)
            )
        )
    down: set[str] = set()
    for row in due:
        if stop is not None and stop.is_set():
            break  # the worker is stopping: the rest stays queued for the next start
        delivery_id = int(row.id)
        name = str(row.destination)
        destination = destinations.get(name)
        if destination is None or name in down:
            continue
        if now - row.created_at > GIVE_UP_AFTER:
            _finish(engine, delivery_id, status="given_up", now=now)
            result.given_up += 1
            log.error(
                "alert.delivery_given_up",
                account=row.account_id,
                channel=row.channel,
                alert_id=int(row.alert_id),
                destination=name,
                error_kind="delivery",
                error=row.last_error,
                fix="Check the destination in [alerts] and run `orderhub alerts test`.",
            )
            continue
        if not _claim(engine, delivery_id, now):
            continue  # another worker has it
        message = Message(
            kind=str(row.kind),
            account=str(row.account_id),
            channel=str(row.channel),
            problem=str(row.code),
            severity=str(row.severity),
            summary=str(row.summary),
            fix=str(row.fix),
            since=row.opened_at,
            alert_id=int(row.alert_id),
            details=dict(row.details or {}),
        )
        try:
            send(destination, message)
        except DeliveryError as exc:
            down.add(name)
            attempts = int(row.attempts) + 1
            delay = retry_delay(attempts)
            with engine.begin() as connection:
                connection.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.id == delivery_id)
                    .values(
                        status="pending",
                        attempts=attempts,
                        last_error=exc.reason,
                        next_attempt_at=now + delay,
                    )
                )
            result.failed[name] += 1
            if on_failed is not None:
                on_failed(name)
            log.warning(
                "alert.delivery_failed",
                account=message.account,
                channel=message.channel,
                alert_id=message.alert_id,
                destination=name,
                kind=message.kind,
                attempts=attempts,
                retry_in_seconds=int(delay.total_seconds()),
                error_kind="delivery",
                error=exc.reason,
                fix="orderhub retries with backoff; check the destination in [alerts] and "
                "run `orderhub alerts test`.",
            )
            continue
        _finish(engine, delivery_id, status="sent", now=now, attempts=int(row.attempts) + 1)
        result.sent[name] += 1
        if on_sent is not None:
            on_sent(name, message.kind)
        log.info(
            "alert.sent",
            account=message.account,
            channel=message.channel,
            alert_id=message.alert_id,
            destination=name,
            kind=message.kind,
            problem=message.problem,
        )
    return result


def _claim(engine: Engine, delivery_id: int, now: datetime) -> bool:
    with engine.begin() as connection:
        claimed = connection.execute(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.id == delivery_id,
                DELIVERIES.c.status.in_(("pending", "sending")),
                DELIVERIES.c.next_attempt_at <= now,
            )
            .values(status="sending", next_attempt_at=now + CLAIM_LEASE)
        )
    return bool(claimed.rowcount)


def _finish(
    engine: Engine, delivery_id: int, *, status: str, now: datetime, attempts: int | None = None
) -> None:
    values: dict[str, object] = {"status": status}
    if status == "sent":
        values["sent_at"] = now
    if attempts is not None:
        values["attempts"] = attempts
    with engine.begin() as connection:
        connection.execute(
            update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(**values)
        )


def send_test(destination: Destination) -> str | None:
    """Send a test message; None when it was accepted, else the reason."""
    message = Message(
        kind="test",
        account="-",
        channel="-",
        problem="test",
        severity="warning",
        summary=f"a test message to the destination {destination.name}; nothing is wrong",
        fix="Nothing to do.",
        since=None,
        alert_id=None,
        details={},
    )
    try:
        send(destination, message)
    except DeliveryError as exc:
        return exc.reason
    return None

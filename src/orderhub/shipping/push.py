"""The push runner: drains one account's outbox into its channel, exactly once in effect.

A push row moves ``pending -> sent -> confirmed | already_applied``, or to ``retrying``
(transient failure, with backoff from minutes to hours), ``failed`` (the channel refused it:
its reason is kept), ``conflict`` (the order was cancelled on the channel after the shipment
was recorded: a person decides) or ``skipped`` (the marketplace fulfils the order itself).

Exactly once in effect: a row is claimed (``sent`` with a lease) in its own committed
transaction before the channel is called, so two workers never push the same row (on
PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``). If the process dies after the channel
accepted the push but before the result was recorded, the lease runs out and the row is
pushed again with the same reference; connectors make that idempotent (Amazon edits the
package with the same ``packageReferenceId``; eBay and WooCommerce look for the tracking
number before creating anything), so the channel still ends up with one shipment.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from orderhub.sdk.carriers import broken_carrier_rule
from orderhub.sdk.clock import Interrupted
from orderhub.sdk.connector import Connector
from orderhub.sdk.drafts import PushOutcome, ShipmentDraft, ShipmentLine
from orderhub.sdk.errors import AuthError, ConnectorError
from orderhub.shipping.carriers import carrier as carrier_by_key
from orderhub.shipping.carriers import channel_code
from orderhub.shipping.record import PUSHES, SHIPMENT_LINES, SHIPMENTS
from orderhub.store import runs
from orderhub.store.ingest import LINES, ORDERS

DUE = ("pending", "retrying")
DONE = ("confirmed", "already_applied")
RETRY_BASE = timedelta(minutes=2)
RETRY_MAX = timedelta(hours=6)
_ERROR_LIMIT = 500
#: status -> (level, event) of the line logged when a push ends in it
PUSH_EVENTS = {
    "confirmed": ("info", "push.confirmed"),
    "already_applied": ("info", "push.already_applied"),
    "retrying": ("warning", "push.retrying"),
    "failed": ("error", "push.failed"),
    "conflict": ("error", "push.conflict"),
    "skipped": ("info", "push.skipped"),
}


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """Backoff after ``attempts`` failed tries: 2, 4, 8 ... minutes up to 6 hours, +-10%."""
    base: timedelta = min(RETRY_MAX, RETRY_BASE * (2 ** max(0, attempts - 1)))
    return base * rng.uniform(0.9, 1.1)


@dataclass
class PushRunResult:
    account_id: str
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def attempted(self) -> int:
        return sum(self.outcomes.values())


class PushRunner:
    """Pushes one account's due outbox rows through its connector."""

    def __init__(
        self,
        engine: Engine,
        connector: Connector[Any],
        *,
        worker_id: str = "orderhub",
        lease: timedelta = timedelta(minutes=5),
        carrier_overrides: Mapping[str, Mapping[str, str]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.connector = connector
        self.worker_id = worker_id
        self.lease = lease
        self.carrier_overrides = carrier_overrides or {}
        self.rng = rng or random.Random()
        self.clock = connector.clock
        self.account_id = connector.account_id
        self.channel = connector.name
        self.log = structlog.get_logger().bind(account=self.account_id, channel=self.channel)

    def run(
        self, *, limit: int | None = None, stop: threading.Event | None = None
    ) -> PushRunResult:
        """Push due rows one at a time, each claimed before it is sent, until none is due
        (or ``limit`` rows were tried); stop early (between rows) when ``stop`` is set.

        There is no cap per run by default: the connector's token bucket paces the sends
        at the channel's published rate, so a backlog drains at that rate instead of at
        "so many per push interval". A row that fails is rescheduled into the future, so
        the drain always ends.
        """
        result = PushRunResult(self.account_id)
        while limit is None or result.attempted < limit:
            if stop is not None and stop.is_set():
                break
            push_id = self.claim()
            if push_id is None:
                break
            try:
                result.outcomes[self.push(push_id)] += 1
            except Interrupted:
                break  # a normal stop: the claim is already released
        return result

    # -- claiming ------------------------------------------------------------------------

    def claim(self) -> int | None:
        """Claim the oldest due row for this worker (own transaction). None when none is due."""
        now = self.clock.now()
        due = or_(
            and_(PUSHES.c.status.in_(DUE), PUSHES.c.next_attempt_at <= now),
            # A row whose worker died after claiming it: its lease has run out.
            and_(PUSHES.c.status == "sent", PUSHES.c.lease_until < now),
        )
        query = (
            select(PUSHES.c.id)
            .where(PUSHES.c.account_id == self.account_id, due)
            .order_by(PUSHES.c.id)
            .limit(1)
        )
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            push_id = connection.execute(query).scalar_one_or_none()
            if push_id is None:
                return None
            connection.execute(
                update(PUSHES)
                .where(PUSHES.c.id == push_id)
                .values(
                    status="sent",
                    attempts=PUSHES.c.attempts + 1,
                    claimed_by=self.worker_id,
                    lease_until=now + self.lease,
                    updated_at=now,
                )
            )
        return int(push_id)

    def _release(self, push_id: int) -> None:
        now = self.clock.now()
        with self.engine.begin() as connection:
            connection.execute(
                update(PUSHES)
                .where(PUSHES.c.id == push_id, PUSHES.c.claimed_by == self.worker_id)
                .values(
                    status="retrying",
                    next_attempt_at=now,
                    lease_until=None,
                    claimed_by=None,
                    updated_at=now,
                )
            )

    # -- pushing -------------------------------------------------------------------------

    def push(self, push_id: int) -> str:
        """Send one claimed row and record the outcome. Returns the new status."""
        with self.engine.connect() as connection:
            push, order, draft = self._load(connection, push_id)
            carrier_key = connection.execute(
                select(SHIPMENTS.c.carrier).where(SHIPMENTS.c.id == push.shipment_id)
            ).scalar_one()
        log = self.log.bind(push_id=push_id, order=order.external_id)
        if order.fulfilled_by_channel:
            return self._finish(
                push_id,
                "skipped",
                log,
                error="the marketplace fulfils this order itself; not pushed",
            )
        if order.status in ("cancelled", "refunded"):
            return self._finish(
                push_id,
                "conflict",
                log,
                error=f"the order is {order.status} on the channel since the shipment was "
                "recorded; not pushed",
                fix="Check with the buyer. If the parcel did not go, withdraw it with "
                "`orderhub shipments cancel ID`; if it did, `orderhub pushes retry ID` "
                "pushes the tracking anyway.",
            )
        rule = broken_carrier_rule(self.connector.carrier_rules, carrier_key, draft)
        if rule is not None:
            # The channel's own rule (declared by the connector): refused before sending.
            return self._finish(push_id, "failed", log, error=rule.message, fix=rule.fix)
        try:
            answer = self.connector.push_tracking(draft)
        except ConnectorError as exc:
            return self._failed(push, exc, log)
        except Interrupted:
            # A stop during a wait (a retry pause, a slow answer) is a normal stop, not a
            # crash. The claim is released at once so the next run takes the row; the
            # connector's idempotency check covers a request that did reach the channel.
            log.info("push.stopping", reason="shutdown requested")
            self._release(push_id)
            raise
        except Exception as exc:
            log.exception(
                "push.crashed",
                error_kind="internal",
                fix="This is a bug in orderhub or the connector; report it. It is retried.",
            )
            return self._finish(
                push_id,
                "retrying",
                log,
                error=f"{type(exc).__name__}: {exc}",
                fix="This is a bug in orderhub or the connector; report it. It is retried.",
                delay=retry_delay(push.attempts, self.rng),
            )
        status = "confirmed" if answer.outcome is PushOutcome.APPLIED else "already_applied"
        return self._finish(
            push_id,
            status,
            log,
            reference=answer.channel_reference,
            completes_order=draft.completes_order,
        )

    def _load(self, connection: Connection, push_id: int) -> tuple[Any, Any, ShipmentDraft]:
        push = connection.execute(select(PUSHES).where(PUSHES.c.id == push_id)).one()
        shipment = connection.execute(
            select(SHIPMENTS).where(SHIPMENTS.c.id == push.shipment_id)
        ).one()
        order = connection.execute(select(ORDERS).where(ORDERS.c.id == push.order_id)).one()
        lines = connection.execute(
            select(SHIPMENT_LINES.c.line_external_id, SHIPMENT_LINES.c.quantity)
            .where(SHIPMENT_LINES.c.shipment_id == shipment.id)
            .order_by(SHIPMENT_LINES.c.id)
        ).all()
        ordered = connection.execute(
            select(func.coalesce(func.sum(LINES.c.quantity), 0)).where(LINES.c.order_id == order.id)
        ).scalar_one()
        shipped = connection.execute(
            select(func.coalesce(func.sum(SHIPMENT_LINES.c.quantity), 0))
            .join(SHIPMENTS, SHIPMENTS.c.id == SHIPMENT_LINES.c.shipment_id)
            .where(SHIPMENTS.c.order_id == order.id, SHIPMENTS.c.id <= shipment.id)
        ).scalar_one()
        carrier = carrier_by_key(shipment.carrier)
        draft = ShipmentDraft(
            order_external_id=order.external_id,
            # orderhub's shipment id: a positive integer, stable across every retry.
            reference=str(shipment.id),
            carrier_code=channel_code(
                carrier, self.channel, self.carrier_overrides, self.connector.carrier_codes
            ),
            carrier_name=shipment.carrier_name or carrier.name,
            tracking_number=shipment.tracking_number,
            shipped_at=shipment.shipped_at,
            lines=tuple(ShipmentLine(row.line_external_id, row.quantity) for row in lines),
            marketplace=order.marketplace,
            completes_order=int(shipped) >= int(ordered),
        )
        return push, order, draft

    def _failed(self, push: Any, exc: ConnectorError, log: Any) -> str:
        if exc.retryable or isinstance(exc, AuthError):
            if isinstance(exc, AuthError):
                with self.engine.begin() as connection:
                    runs.set_attention(
                        connection,
                        self.account_id,
                        reason=exc.message,
                        fix=exc.fix,
                        now=self.clock.now(),
                    )
            return self._finish(
                push.id,
                "retrying",
                log,
                error=exc.message,
                fix=exc.fix,
                kind=exc.kind.value,
                delay=retry_delay(push.attempts, self.rng),
            )
        return self._finish(
            push.id, "failed", log, error=exc.message, fix=exc.fix, kind=exc.kind.value
        )

    def _finish(
        self,
        push_id: int,
        status: str,
        log: Any,
        *,
        error: str | None = None,
        fix: str | None = None,
        kind: str | None = None,
        reference: str | None = None,
        delay: timedelta | None = None,
        completes_order: bool | None = None,
    ) -> str:
        now = self.clock.now()
        values: dict[str, Any] = {
            "status": status,
            "updated_at": now,
            "lease_until": None,
            "last_error": error[:_ERROR_LIMIT] if error else None,
            "last_error_kind": kind,
            "fix": fix,
        }
        if status in DONE:
            values["confirmed_at"] = now
            values["channel_reference"] = reference
            values["completes_order"] = completes_order
        if delay is not None:
            values["next_attempt_at"] = now + delay
        with self.engine.begin() as connection:
            connection.execute(update(PUSHES).where(PUSHES.c.id == push_id).values(**values))
        event = PUSH_EVENTS[status]
        fields: dict[str, Any] = {"status": status, "error": error, "fix": fix, "error_kind": kind}
        if delay is not None:
            fields["retry_in_s"] = int(delay.total_seconds())
        getattr(log, event[0])(event[1], **{k: v for k, v in fields.items() if v is not None})
        return status


def verify_pushes(
    connection: Connection,
    *,
    account_id: str,
    now: datetime,
    verify_after: timedelta,
    reflects_partial: bool = True,
) -> tuple[int, int]:
    """Run after each pull of an account. A push the channel accepted is *verified* once
    the pulled order shows it: ``shipped`` for a push that completed the order,
    ``partially_shipped`` or ``shipped`` for a partial one (on channels that show partial
    shipments at all; elsewhere a partial push has nothing to check). One still not
    reflected ``verify_after`` after the channel accepted it is flagged "not reflected".
    Returns (verified, newly flagged)."""
    candidates = (
        select(
            PUSHES.c.id,
            PUSHES.c.confirmed_at,
            PUSHES.c.completes_order,
            ORDERS.c.status,
            ORDERS.c.external_id,
        )
        .join(ORDERS, ORDERS.c.id == PUSHES.c.order_id)
        .where(
            PUSHES.c.account_id == account_id,
            PUSHES.c.status.in_(DONE),
            PUSHES.c.verified_at.is_(None),
        )
    )
    verified: list[int] = []
    overdue: list[Any] = []
    for row in connection.execute(candidates):
        if row.completes_order:
            shown = row.status == "shipped"
        elif reflects_partial:
            shown = row.status in ("partially_shipped", "shipped")
        else:
            shown = True
        if shown:
            verified.append(row.id)
        elif row.confirmed_at is not None and row.confirmed_at <= now - verify_after:
            overdue.append(row)
    if verified:
        connection.execute(
            update(PUSHES)
            .where(PUSHES.c.id.in_(verified))
            .values(verified_at=now, not_reflected_at=None)
        )
    flagged = 0
    log = structlog.get_logger().bind(account=account_id)
    for row in overdue:
        result = connection.execute(
            update(PUSHES)
            .where(PUSHES.c.id == row.id, PUSHES.c.not_reflected_at.is_(None))
            .values(not_reflected_at=now)
        )
        if result.rowcount:
            flagged += 1
            log.warning(
                "push.not_reflected",
                push_id=row.id,
                order=row.external_id,
                order_status=row.status,
                fix="The channel accepted the tracking but still shows the order unshipped: "
                "check the order in the channel's seller portal.",
            )
    return len(verified), flagged

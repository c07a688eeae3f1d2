"""Read paths for the CLI and ops: orders, failures, per-account status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select

from orderhub.store.ingest import CURSORS, EVENTS, LINES, ORDERS, QUARANTINE
from orderhub.store.runs import ACCOUNT_STATE, RUNS
from orderhub.store.tables import metadata
from orderhub.store.types import UTCDateTime

#: The columns of an order in a list (CLI, console): what identifies it, where it stands,
#: its money and its times; no buyer data.
ORDER_SUMMARY = (
    ORDERS.c.id,
    ORDERS.c.account_id,
    ORDERS.c.channel,
    ORDERS.c.external_id,
    ORDERS.c.display_id,
    ORDERS.c.status,
    ORDERS.c.channel_status,
    ORDERS.c.currency,
    ORDERS.c.total,
    ORDERS.c.placed_at,
    ORDERS.c.channel_updated_at,
)


def list_orders(
    connection: Connection,
    *,
    account: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[Row[Any]]:
    """Newest-changed first."""
    query = select(
        *ORDER_SUMMARY,
        select(func.count())
        .where(LINES.c.order_id == ORDERS.c.id)
        .scalar_subquery()
        .label("line_count"),
    )
    if account:
        query = query.where(ORDERS.c.account_id == account)
    if status:
        query = query.where(ORDERS.c.status == status)
    query = query.order_by(ORDERS.c.channel_updated_at.desc(), ORDERS.c.id.desc()).limit(limit)
    return list(connection.execute(query))


@dataclass
class OrderDetail:
    order: Row[Any]
    lines: list[Row[Any]]
    events: list[Row[Any]]


def find_orders(connection: Connection, ref: str, account: str | None = None) -> list[Row[Any]]:
    """Orders matching ``ref``: orderhub's numeric id, the channel's id or display number."""
    conditions = [ORDERS.c.external_id == ref, ORDERS.c.display_id == ref]
    # isdecimal, not isdigit: isdigit admits "²", which int() refuses.
    if ref.isdecimal():
        conditions.append(ORDERS.c.id == int(ref))
    query = select(ORDERS).where(or_(*conditions))
    if account:
        query = query.where(ORDERS.c.account_id == account)
    return list(connection.execute(query.order_by(ORDERS.c.id)))


def order_detail(connection: Connection, order_id: int) -> OrderDetail | None:
    order = connection.execute(select(ORDERS).where(ORDERS.c.id == order_id)).one_or_none()
    if order is None:
        return None
    lines = connection.execute(
        select(LINES).where(LINES.c.order_id == order_id).order_by(LINES.c.position)
    )
    events = connection.execute(
        select(EVENTS).where(EVENTS.c.order_id == order_id).order_by(EVENTS.c.id)
    )
    return OrderDetail(order=order, lines=list(lines), events=list(events))


def quarantined(
    connection: Connection, *, account: str | None = None, include_resolved: bool = False
) -> list[Row[Any]]:
    query = select(QUARANTINE)
    if account:
        query = query.where(QUARANTINE.c.account_id == account)
    if not include_resolved:
        query = query.where(
            QUARANTINE.c.resolved_at.is_(None), QUARANTINE.c.dealt_with_at.is_(None)
        )
    return list(connection.execute(query.order_by(QUARANTINE.c.last_seen_at.desc())))


def quarantined_record(connection: Connection, record_id: int) -> Row[Any] | None:
    """One quarantined record by id, open or not."""
    return connection.execute(select(QUARANTINE).where(QUARANTINE.c.id == record_id)).one_or_none()


def failed_runs(
    connection: Connection, *, account: str | None = None, limit: int = 20
) -> list[Row[Any]]:
    """Failed runs that have not been followed by a successful run of the same account."""
    last_success = (
        select(RUNS.c.account_id, func.max(RUNS.c.id).label("last_ok"))
        .where(RUNS.c.outcome == "succeeded")
        .group_by(RUNS.c.account_id)
        .subquery()
    )
    query = (
        select(RUNS)
        .outerjoin(last_success, last_success.c.account_id == RUNS.c.account_id)
        .where(
            RUNS.c.outcome == "failed",
            or_(last_success.c.last_ok.is_(None), RUNS.c.id > last_success.c.last_ok),
        )
    )
    if account:
        query = query.where(RUNS.c.account_id == account)
    return list(connection.execute(query.order_by(RUNS.c.id.desc()).limit(limit)))


@dataclass
class AccountStatus:
    account_id: str
    last_run: Row[Any] | None
    last_success_at: datetime | None
    cursor: datetime | None
    orders: int
    needs_attention: bool
    attention_reason: str | None
    attention_fix: str | None
    open_quarantine: int
    #: push status -> count, for pushes a person should look at (failed, conflict,
    #: not reflected) and those still on their way (pending, sent, retrying)
    pushes: dict[str, int] = field(default_factory=dict)


def account_status(connection: Connection, account_id: str) -> AccountStatus:
    last_run = connection.execute(
        select(RUNS).where(RUNS.c.account_id == account_id).order_by(RUNS.c.id.desc()).limit(1)
    ).one_or_none()
    last_success = connection.execute(
        select(func.max(RUNS.c.finished_at, type_=UTCDateTime())).where(
            RUNS.c.account_id == account_id, RUNS.c.outcome == "succeeded"
        )
    ).scalar_one_or_none()
    cursor = connection.execute(
        select(CURSORS.c.position).where(CURSORS.c.account_id == account_id)
    ).scalar_one_or_none()
    orders = connection.execute(
        select(func.count()).where(ORDERS.c.account_id == account_id)
    ).scalar_one()
    state = connection.execute(
        select(ACCOUNT_STATE).where(ACCOUNT_STATE.c.account_id == account_id)
    ).one_or_none()
    open_quarantine = connection.execute(
        select(func.count()).where(
            QUARANTINE.c.account_id == account_id,
            QUARANTINE.c.resolved_at.is_(None),
            QUARANTINE.c.dealt_with_at.is_(None),
        )
    ).scalar_one()
    return AccountStatus(
        account_id=account_id,
        last_run=last_run,
        last_success_at=last_success,
        cursor=cursor,
        orders=int(orders),
        needs_attention=bool(state.needs_attention) if state else False,
        attention_reason=state.reason if state else None,
        attention_fix=state.fix if state else None,
        open_quarantine=int(open_quarantine),
        pushes=_push_counts(connection, account_id),
    )


def _push_counts(connection: Connection, account_id: str) -> dict[str, int]:
    pushes = metadata.tables["pushes"]
    counts = {
        status: int(n)
        for status, n in connection.execute(
            select(pushes.c.status, func.count())
            .where(
                pushes.c.account_id == account_id,
                pushes.c.status.in_(("pending", "sent", "retrying", "failed", "conflict")),
            )
            .group_by(pushes.c.status)
        )
    }
    not_reflected = connection.execute(
        select(func.count()).where(
            pushes.c.account_id == account_id,
            pushes.c.not_reflected_at.isnot(None),
            pushes.c.verified_at.is_(None),
        )
    ).scalar_one()
    if not_reflected:
        counts["not_reflected"] = int(not_reflected)
    return counts


def known_accounts(connection: Connection) -> list[str]:
    """Every account id the store has seen (orders or runs)."""
    ids = set(connection.execute(select(RUNS.c.account_id).distinct()).scalars())
    ids.update(connection.execute(select(ORDERS.c.account_id).distinct()).scalars())
    return sorted(ids)


def orders_by_channel_and_status(connection: Connection) -> list[Row[Any]]:
    return list(
        connection.execute(
            select(ORDERS.c.channel, ORDERS.c.status, func.count().label("orders"))
            .group_by(ORDERS.c.channel, ORDERS.c.status)
            .order_by(ORDERS.c.channel, ORDERS.c.status)
        )
    )

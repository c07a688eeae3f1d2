"""The overview: every account with its health, worst first, the week's orders per channel
and status, and the open problems with their fix.

:func:`account_rows` shapes the shared health model (``orderhub.health``, the one
``orderhub status``, the metrics and the alerts use) into the rows and problems the page
shows; the console decides nothing about health itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.config import AppConfig
from orderhub.health import CRITICAL, AccountHealth, account_health
from orderhub.store.ingest import ORDERS
from orderhub.web.context import console

#: Display levels, worst first (the CSS classes ``level-N``).
NEEDS_ATTENTION, FAILING, WARNING, OK = 0, 1, 2, 3
_WAITING = ("pending", "sent", "retrying")
_STUCK = ("failed", "conflict", "not_reflected")
#: Where the console helps with a problem of each code.
_LINKS = {
    "failing": "/failures",
    "never_succeeded": "/failures",
    "stale": "/failures",
    "quarantined": "/failures",
    "push_conflict": "/failures",
    "pushes_failed": "/failures",
    "push_not_reflected": "/failures",
    "awaiting_mapping": "/mapping",
}


@dataclass(frozen=True)
class Problem:
    account_id: str | None
    level: int
    text: str
    fix: str
    link: str | None = None


@dataclass
class AccountRow:
    account_id: str
    channel: str
    enabled: str
    level: int
    health: str
    last_run_outcome: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    cursor_lag: timedelta | None
    orders: int
    open_quarantine: int
    pushes_waiting: int
    pushes_stuck: int
    problems: list[Problem] = field(default_factory=list)


def _row(item: AccountHealth) -> AccountRow:
    level = {CRITICAL: NEEDS_ATTENTION, "ok": OK}.get(item.severity, WARNING)
    problems = [
        Problem(
            item.account,
            NEEDS_ATTENTION if problem.severity == CRITICAL else WARNING,
            problem.summary,
            problem.fix,
            _LINKS.get(problem.code),
        )
        for problem in item.problems
    ]
    enabled = ("yes" if item.enabled else "no") if item.configured else "not configured"
    run = item.last_run
    return AccountRow(
        account_id=item.account,
        channel=item.channel,
        enabled=enabled,
        level=level,
        # The worst problem names the state ("failing", "credentials refused" ...).
        health=item.state.replace("_", " "),
        last_run_outcome=run.outcome if run else None,
        last_run_at=run.started_at if run else None,
        last_success_at=item.last_success,
        cursor_lag=item.cursor_lag,
        orders=item.orders,
        open_quarantine=item.quarantined_open,
        pushes_waiting=sum(item.pushes.get(key, 0) for key in _WAITING),
        pushes_stuck=sum(item.pushes.get(key, 0) for key in _STUCK),
        problems=problems,
    )


def account_rows(connection: Connection, config: AppConfig, now: datetime) -> list[AccountRow]:
    """Every configured or stored account with its health, worst first (the health
    model's order)."""
    return [_row(item) for item in account_health(connection, config, now)]


def start_of_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def order_counts(connection: Connection, since: datetime) -> list[Any]:
    """Orders placed since ``since``, per channel and status."""
    return list(
        connection.execute(
            select(ORDERS.c.channel, ORDERS.c.status, func.count().label("orders"))
            .where(ORDERS.c.placed_at >= since)
            .group_by(ORDERS.c.channel, ORDERS.c.status)
            .order_by(ORDERS.c.channel, ORDERS.c.status)
        )
    )


def awaiting_count(connection: Connection) -> int:
    return int(
        connection.execute(select(func.count()).where(ORDERS.c.awaiting_mapping)).scalar_one()
    )


@dataclass
class Overview:
    accounts: list[AccountRow]
    problems: list[Problem]
    today: list[Any]
    week: list[Any]
    awaiting: int
    now: datetime


def overview(connection: Connection, config: AppConfig, now: datetime) -> Overview:
    accounts = account_rows(connection, config, now)
    problems = sorted(
        (problem for row in accounts for problem in row.problems), key=lambda p: p.level
    )
    awaiting = awaiting_count(connection)
    if awaiting:
        problems.append(
            Problem(
                None,
                WARNING,
                f"{awaiting} order(s) await a SKU mapping",
                "Map their channel SKUs on the Awaiting mapping page; the orders are released "
                "at once.",
                "/mapping",
            )
        )
        problems.sort(key=lambda p: p.level)
    today = start_of_day(now)
    week = today - timedelta(days=today.weekday())
    return Overview(
        accounts=accounts,
        problems=problems,
        today=order_counts(connection, today),
        week=order_counts(connection, week),
        awaiting=awaiting,
        now=now,
    )


def overview_page(request: Request) -> Response:
    state = console(request)
    now = state.now()
    with state.engine.connect() as connection:
        data = overview(connection, state.config, now)
    return state.renderer.page(request, "overview.html", active="overview", data=data, now=now)


def routes() -> list[Route]:
    return [Route("/", overview_page)]

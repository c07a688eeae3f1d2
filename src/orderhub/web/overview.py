"""The overview: every account with its health, worst first, the week's orders per channel
and status, and the open problems with their fix.

:func:`account_rows` is the one place the console decides an account's health. It uses
what ``orderhub status`` uses (``queries.account_status``, the account's attention flag,
its last run, stuck pushes and the connector's settings warning); when a shared health
model lands, this function is the only one to switch to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.config import AccountConfig, AppConfig
from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.store import queries
from orderhub.store.ingest import ORDERS
from orderhub.web.context import console

#: Health levels, worst first.
NEEDS_ATTENTION, FAILING, WARNING, OK = 0, 1, 2, 3
LEVEL_NAMES = {
    NEEDS_ATTENTION: "needs attention",
    FAILING: "last run failed",
    WARNING: "warning",
    OK: "ok",
}
_WAITING = ("pending", "sent", "retrying")
_STUCK = ("failed", "conflict", "not_reflected")


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
    last_run_outcome: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    cursor_lag: timedelta | None
    orders: int
    open_quarantine: int
    pushes_waiting: int
    pushes_stuck: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def health(self) -> str:
        return LEVEL_NAMES[self.level]


def _settings_warning(account: AccountConfig, now: datetime) -> str | None:
    try:
        cls = load_connector(account.connector)
    except ConnectorLoadError:
        return None
    return cls.settings_attention(account.settings, now, account.id)


def account_rows(connection: Connection, config: AppConfig, now: datetime) -> list[AccountRow]:
    """Every configured or stored account with its health, worst first."""
    configured = {account.id: account for account in config.accounts}
    ids = sorted(set(configured) | set(queries.known_accounts(connection)))
    rows: list[AccountRow] = []
    for account_id in ids:
        item = queries.account_status(connection, account_id)
        account = configured.get(account_id)
        run = item.last_run
        problems: list[Problem] = []
        if item.needs_attention:
            problems.append(
                Problem(
                    account_id,
                    NEEDS_ATTENTION,
                    str(item.attention_reason),
                    str(item.attention_fix),
                )
            )
        elif run is not None and run.outcome == "failed":
            problems.append(
                Problem(
                    account_id,
                    FAILING,
                    f"last run failed ({run.error_kind}): {run.error}",
                    str(run.fix),
                    "/failures",
                )
            )
        warning = _settings_warning(account, now) if account else None
        if warning:
            problems.append(Problem(account_id, WARNING, warning, "Renew it as the message says."))
        stuck = {key: item.pushes[key] for key in _STUCK if item.pushes.get(key)}
        if stuck:
            listed = ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in stuck.items())
            problems.append(
                Problem(
                    account_id,
                    WARNING,
                    f"tracking pushes: {listed}",
                    "Read each push's reason on the Failures page; after fixing the cause, "
                    "retry them there.",
                    "/failures",
                )
            )
        if item.open_quarantine:
            problems.append(
                Problem(
                    account_id,
                    WARNING,
                    f"{item.open_quarantine} quarantined record(s) could not be read",
                    "Fix the order on the channel or report the payload; the next sync "
                    "stores it. Or mark it dealt with on the Failures page.",
                    "/failures",
                )
            )
        rows.append(
            AccountRow(
                account_id=account_id,
                channel=account.connector if account else (run.channel if run else "-"),
                enabled=("yes" if account.enabled else "no") if account else "not configured",
                level=min((p.level for p in problems), default=OK),
                last_run_outcome=run.outcome if run else None,
                last_run_at=run.started_at if run else None,
                last_success_at=item.last_success_at,
                cursor_lag=(now - item.cursor) if item.cursor else None,
                orders=item.orders,
                open_quarantine=item.open_quarantine,
                pushes_waiting=sum(item.pushes.get(key, 0) for key in _WAITING),
                pushes_stuck=sum(stuck.values()),
                problems=problems,
            )
        )
    rows.sort(key=lambda row: (row.level, row.account_id))
    return rows


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

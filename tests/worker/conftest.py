"""Simulated WooCommerce shops on the real clock, and configurations pointing at them.

The worker runs on :class:`~orderhub.sdk.SystemClock` (its sleeps end at shutdown), so the
shops do too; their orders lie a few days back, inside the first sync's 30-day backfill.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, func, select

from orderhub.config import AppConfig, load_config
from orderhub.logs import get_redactor
from orderhub.sdk import SystemClock
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.ingest import ORDERS
from orderhub.store.runs import ACCOUNT_STATE


@dataclass
class Shop:
    """A simulated shop and the credentials it accepts (unique to the test)."""

    sim: SimulatedWooCommerce
    key: str
    secret: str

    @property
    def order_ids(self) -> set[str]:
        return {str(record.id) for record in self.sim.store}


def make_shop(orders: int, *, seed: int = 0, days_back: float = 3.0) -> Shop:
    clock = SystemClock()
    key = f"ck_{secrets.token_hex(12)}"
    secret = f"cs_{secrets.token_hex(12)}"
    sim = SimulatedWooCommerce(clock, seed=seed, consumer_key=key, consumer_secret=secret)
    sim.generate(
        orders,
        start=clock.now() - timedelta(days=days_back),
        spread=timedelta(days=days_back - 1),
    )
    return Shop(sim=sim, key=key, secret=secret)


def account_toml(account_id: str, base_url: str, key_var: str, secret_var: str) -> str:
    return (
        "[[accounts]]\n"
        f"id = {json.dumps(account_id)}\n"
        'connector = "woocommerce"\n'
        'interval = "10s"\n'
        "[accounts.settings]\n"
        f"base_url = {json.dumps(base_url)}\n"
        f"consumer_key_env = {json.dumps(key_var)}\n"
        f"consumer_secret_env = {json.dumps(secret_var)}\n"
    )


def worker_config(
    path: Path, accounts: list[str], env: dict[str, str], *, header: str = ""
) -> AppConfig:
    """Write ``accounts`` (TOML sections) to ``path`` and load it the way ``orderhub run``
    does: an account whose secret variable is unset is kept, with its problem attached."""
    path.write_text(header + "\n".join(accounts), encoding="utf-8")
    return load_config(path, env=env, defer_missing_secrets=True)


def order_count(engine: Engine, account_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).where(ORDERS.c.account_id == account_id)
            ).scalar_one()
        )


def stored_ids(engine: Engine, account_id: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(ORDERS.c.external_id).where(ORDERS.c.account_id == account_id)
            ).scalars()
        )


def attention(engine: Engine, account_id: str) -> tuple[bool, str | None, str | None] | None:
    """``(needs_attention, reason, fix)`` of the account, or None when never flagged."""
    with engine.connect() as connection:
        row = connection.execute(
            select(ACCOUNT_STATE).where(ACCOUNT_STATE.c.account_id == account_id)
        ).one_or_none()
    return None if row is None else (bool(row.needs_attention), row.reason, row.fix)


@pytest.fixture(autouse=True)
def clean_log_state() -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    yield
    get_redactor().clear_secrets()
    structlog.contextvars.clear_contextvars()

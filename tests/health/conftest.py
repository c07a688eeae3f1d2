"""A simulated WooCommerce shop on a fake clock, pulled into a real store, and the
configuration that names it: the inputs of the health model."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine

from orderhub.config import AppConfig, load_config
from orderhub.health import AccountHealth, account_health
from orderhub.sdk import ConnectorContext
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.sync.pull import PullResult, PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

KEY, SECRET = "ck_health_0a1b2c3d", "cs_health_4e5f6a7b"
# PostgreSQL advisory locks (one pull per account) span the whole server, whatever the
# schema: an id of this process keeps other test runs on the server from holding ours.
ACCOUNT = f"shop{os.getpid()}"


def woo_toml(account_id: str = ACCOUNT, interval: str = "1m") -> str:
    return (
        "[[accounts]]\n"
        f"id = {json.dumps(account_id)}\n"
        'connector = "woocommerce"\n'
        f"interval = {json.dumps(interval)}\n"
        "[accounts.settings]\n"
        'base_url = "http://127.0.0.1/"\n'
        'consumer_key_env = "HEALTH_KEY"\n'
        'consumer_secret_env = "HEALTH_SECRET"\n'
    )


def ebay_toml(account_id: str, expires_on: str) -> str:
    return (
        "[[accounts]]\n"
        f"id = {json.dumps(account_id)}\n"
        'connector = "ebay"\n'
        "[accounts.settings]\n"
        'client_id_env = "EBAY_ID"\n'
        'client_secret_env = "EBAY_SECRET"\n'
        'refresh_token_env = "EBAY_TOKEN"\n'
        f"refresh_token_expires_on = {expires_on}\n"
    )


def write_config(path: Path, text: str) -> AppConfig:
    path.write_text(text, encoding="utf-8")
    env = {"HEALTH_KEY": KEY, "HEALTH_SECRET": SECRET}
    return load_config(path, env=env, defer_missing_secrets=True)


@dataclass
class Setup:
    engine: Engine
    clock: FakeClock
    shop: SimulatedWooCommerce
    connector: WooCommerceConnector
    config: AppConfig

    def pull(self) -> PullResult:
        return PullRunner(self.engine, self.connector).run()

    def health(self, config: AppConfig | None = None) -> list[AccountHealth]:
        with self.engine.connect() as connection:
            return account_health(connection, config or self.config, self.clock.now())

    def one(self, account: str = ACCOUNT) -> AccountHealth:
        (item,) = [h for h in self.health() if h.account == account]
        return item


@pytest.fixture
def setup(store_engine: Engine, tmp_path: Path) -> Iterator[Setup]:
    # Near the real time, so commands that read the real clock see the same picture.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    shop = SimulatedWooCommerce(clock, seed=5, consumer_key=KEY, consumer_secret=SECRET)
    shop.generate(12, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    connector = WooCommerceConnector(
        ConnectorContext(
            account_id=ACCOUNT,
            settings=WooCommerceSettings(
                base_url="http://127.0.0.1/", consumer_key=KEY, consumer_secret=SECRET
            ),
            clock=clock,
            log=structlog.get_logger(),
            transport=shop.transport(),
        )
    )
    config = write_config(tmp_path / "orderhub.toml", woo_toml())
    yield Setup(store_engine, clock, shop, connector, config)
    connector.close()

"""Turning configuration into live objects: an engine, and one connector per account."""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from sqlalchemy import Engine

from orderhub.config import AccountConfig, AppConfig, ConfigError, build_settings
from orderhub.config.checking import connector_problem
from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import Connector, ConnectorContext
from orderhub.store.db import make_engine


def engine_for(config: AppConfig) -> Engine:
    return make_engine(config.database_url)


def build_connector(
    config: AppConfig,
    account: AccountConfig,
    *,
    clock: Clock,
    transport: httpx.BaseTransport | None = None,
) -> Connector[Any]:
    """Load the account's connector class, validate its settings and build the instance.

    Raises :class:`orderhub.config.ConfigError`, naming the account's key, for bad settings
    and for a connector that is missing or broken: both are the configuration being wrong.
    """
    try:
        cls = load_connector(account.connector)
    except ConnectorLoadError as exc:
        raise ConfigError([connector_problem(account, exc, config.file)]) from None
    settings = build_settings(account, cls.settings_model, config.file)
    context = ConnectorContext(
        account_id=account.id,
        settings=settings,
        clock=clock,
        log=structlog.get_logger(),
        transport=transport,
    )
    return cls(context)

"""What the rest of orderhub reads: :class:`AppConfig` and one :class:`AccountConfig` per
account, made from the checked file by :func:`orderhub.config.load_config`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from orderhub.alerts.settings import AlertsConfig
from orderhub.config.problems import ConfigProblem
from orderhub.matching.settings import MatchingConfig
from orderhub.metrics import MetricsConfig
from orderhub.shipping.settings import ShippingConfig
from orderhub.store.retention import RetentionConfig
from orderhub.web.settings import WebConfig

__all__ = ["AUTO_JITTER", "AccountConfig", "AppConfig", "default_jitter"]

MAX_DEFAULT_JITTER = timedelta(seconds=30)
# The default of AccountConfig.jitter: "10% of the interval, at most 30 s" (a real jitter is
# never negative, so a negative value can stand for "not given").
AUTO_JITTER = timedelta(seconds=-1)


@dataclass(frozen=True)
class AccountConfig:
    """One ``[[accounts]]`` entry, checked for shape.

    ``settings`` is the raw settings table with every ``<field>_env`` replaced by
    ``<field>`` = the variable's value (plain strings; :func:`build_settings` validates them
    into the connector's ``settings_model``, where secrets become ``SecretStr``). It is
    left out of ``repr`` because it holds secrets. ``env_fields`` names the settings that
    came from the environment, ``unset_fields`` those whose variable is unset or empty (already
    reported); ``index`` is the position in the file (for messages).
    ``jitter`` is the random delay added to each run: given, or (left at ``AUTO_JITTER``)
    10% of ``interval``, at most 30 seconds.
    """

    id: str
    connector: str
    enabled: bool
    interval: timedelta
    settings: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)
    jitter: timedelta = AUTO_JITTER
    index: int | None = None
    env_fields: frozenset[str] = frozenset()
    unset_fields: frozenset[str] = frozenset()
    problems: tuple[ConfigProblem, ...] = ()

    def __post_init__(self) -> None:
        if self.jitter < timedelta(0):  # AUTO_JITTER: derive it from the interval
            object.__setattr__(self, "jitter", default_jitter(self.interval))

    @property
    def key(self) -> str:
        """How problems name this account: ``accounts[2]`` (or ``accounts["id"]``)."""
        return f"accounts[{self.index}]" if self.index is not None else f'accounts["{self.id}"]'


@dataclass(frozen=True)
class AppConfig:
    """The whole configuration. ``path`` is None when no file was read."""

    path: Path | None
    database_url: str
    log_level: str
    log_format: str
    accounts: tuple[AccountConfig, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)
    shipping: ShippingConfig = field(default_factory=ShippingConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    web: WebConfig = field(default_factory=WebConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    #: Where ``database_url`` came from: the variable, "[orderhub] database_url", or None
    #: for the default.
    database_url_key: str | None = None

    @property
    def file(self) -> str | None:
        """The file as given, for messages."""
        return str(self.path) if self.path is not None else None

    @property
    def enabled_accounts(self) -> tuple[AccountConfig, ...]:
        """The accounts the worker schedules."""
        return tuple(account for account in self.accounts if account.enabled)

    def account(self, account_id: str) -> AccountConfig:
        """The account with this id. Raises KeyError naming the configured ids."""
        for account in self.accounts:
            if account.id == account_id:
                return account
        known = ", ".join(a.id for a in self.accounts) or "none"
        raise KeyError(f'no account "{account_id}" in the configuration (configured: {known})')


def default_jitter(interval: timedelta) -> timedelta:
    """10% of the interval, at most 30 seconds."""
    return min(interval * 0.1, MAX_DEFAULT_JITTER)

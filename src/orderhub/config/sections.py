"""The file's tables other than accounts and alerts: ``[orderhub]``, ``[metrics]``,
``[matching]``, ``[web]``, ``[shipments]``, ``[carriers.<channel>]`` and ``[retention]``.

Each model is the table's shape as written; ``to_config`` gives the value the rest of
orderhub uses (the dataclasses beside each feature: ``MetricsConfig``, ``WebConfig``...).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, model_validator

from orderhub.config.durations import Duration, duration
from orderhub.config.fields import Table, setting
from orderhub.config.problems import Problems, invalid
from orderhub.config.secrets import EnvName
from orderhub.matching.settings import MIN_CATALOG_INTERVAL, MatchingConfig
from orderhub.metrics import MetricsConfig
from orderhub.shipping.carriers import UnknownCarrierError, resolve_carrier
from orderhub.shipping.settings import ShippingConfig
from orderhub.store.retention import RetentionConfig
from orderhub.web.settings import DEFAULT_ADDRESS, WebConfig

__all__ = [
    "MatchingTable",
    "MetricsTable",
    "OrderhubTable",
    "RetentionTable",
    "ShipmentsTable",
    "WebTable",
    "carrier_codes",
]


def _filled(value: str) -> str:
    if not value.strip():
        raise invalid("must not be empty.")
    return value.strip()


#: A text with something in it (surrounding spaces dropped).
Filled = Annotated[str, AfterValidator(_filled)]


def _address(value: str) -> str:
    if not value.strip():
        raise invalid("must be an address to listen on.")
    return value.strip()


Address = Annotated[str, AfterValidator(_address)]


class OrderhubTable(Table):
    """``[orderhub]``. The choices are checked by the loader, where the environment's
    ``ORDERHUB_LOG_LEVEL`` / ``ORDERHUB_LOG_FORMAT`` may override them."""

    database_url: str | None = setting(
        None,
        example='"sqlite:///orderhub.db"',
        fix='Quote it: database_url = "sqlite:///orderhub.db".',
    )
    log_level: str | None = setting(None, example='"info"')
    log_format: str | None = setting(None, example='"auto"')


class MetricsTable(Table):
    keys_hint = "Keys: {keys}."

    port: int | None = setting(None, example="9108", what="a port number", ge=1, le=65535)
    address: Address = setting(
        "0.0.0.0",  # noqa: S104 - a container's metrics must be reachable
        example='"0.0.0.0"',
        fix='Write address = "0.0.0.0" (all interfaces) or "127.0.0.1".',
    )

    def to_config(self) -> MetricsConfig:
        return MetricsConfig(port=self.port, address=self.address)


_MAX_RULE_LENGTH = 64
_SEPARATORS_ONLY = re.compile(r"^[\s\-_./]*$")


def _rule(value: str) -> str:
    if _SEPARATORS_ONLY.match(value):
        raise invalid(
            "has nothing but spaces and separators, which matching ignores anyway.",
            'Remove it, or write the text the channel adds (e.g. "AMZ-" or "-FBA").',
        )
    if len(value) > _MAX_RULE_LENGTH:
        raise invalid(f"is longer than {_MAX_RULE_LENGTH} characters.", "Shorten it.")
    return value


Rule = Annotated[str, AfterValidator(_rule)]


class MatchingTable(Table):
    keys_hint = "Keys: {keys}."

    strip_prefixes: list[Rule] = setting([], example='["AMZ-"]', what="a list of texts")
    strip_suffixes: list[Rule] = setting([], example='["-FBA"]', what="a list of texts")
    catalog_interval: Annotated[
        timedelta,
        duration(
            MIN_CATALOG_INTERVAL,
            below="is below the minimum of one minute.",
            fix='Use at least "1m"; a catalog changes far less often than orders.',
        ),
    ] = setting(timedelta(hours=1), example='"1h"')

    def to_config(self) -> MatchingConfig:
        return MatchingConfig(
            strip_prefixes=tuple(dict.fromkeys(self.strip_prefixes)),
            strip_suffixes=tuple(dict.fromkeys(self.strip_suffixes)),
            catalog_interval=self.catalog_interval,
        )


class WebTable(Table):
    keys_hint = "Keys: {keys}."

    port: int | None = setting(None, example="8080", what="a port number", ge=0, le=65535)
    address: Address = setting(
        DEFAULT_ADDRESS,
        example='"127.0.0.1"',
        fix='Write address = "127.0.0.1" (this machine only) or "0.0.0.0".',
    )
    password_env: EnvName | None = setting(
        None,
        example='"ORDERHUB_WEB_PASSWORD"',
        fix='Write password_env = "ORDERHUB_WEB_PASSWORD" and export that variable.',
    )
    secret_env: EnvName | None = setting(
        None,
        example='"ORDERHUB_WEB_SECRET"',
        fix='Write secret_env = "ORDERHUB_WEB_SECRET" and export that variable.',
    )
    session_timeout: Annotated[
        timedelta, duration(timedelta(minutes=1), below="must be at least a minute.")
    ] = setting(timedelta(hours=8), example='"8h"')
    secure_cookies: bool = setting(False, example="true")

    @model_validator(mode="after")
    def _password_with_port(self) -> WebTable:
        if self.port is not None and self.password_env is None:
            raise invalid(
                "the console needs a password.",
                'Write password_env = "ORDERHUB_WEB_PASSWORD" under [web] and export that '
                "variable with the password.",
                key="password_env",
            )
        return self

    def to_config(self) -> WebConfig:
        return WebConfig(
            port=self.port,
            address=self.address,
            password_env=self.password_env,
            secret_env=self.secret_env,
            session_timeout=self.session_timeout,
            secure_cookies=self.secure_cookies,
        )


class ShipmentsTable(Table):
    keys_hint = "Keys: {keys}."

    inbox: Filled | None = setting(
        None, example='"/srv/inbox"', what="a folder path", fix='Write inbox = "/srv/inbox".'
    )
    scan_interval: Duration = setting(timedelta(seconds=30), example='"30s"')
    push_interval: Duration = setting(timedelta(minutes=1), example='"1m"')
    verify_after: Duration = setting(timedelta(hours=2), example='"2h"')

    def to_config(self, carrier_codes: dict[str, dict[str, str]]) -> ShippingConfig:
        return ShippingConfig(
            inbox=Path(self.inbox).expanduser() if self.inbox is not None else None,
            scan_interval=self.scan_interval,
            push_interval=self.push_interval,
            verify_after=self.verify_after,
            carrier_codes=carrier_codes,
        )


#: ``[carriers.<channel>]``: carrier name = the channel's code for it.
Carriers = dict[str, dict[str, Filled]]


def carrier_codes(carriers: Carriers, problems: Problems) -> dict[str, dict[str, str]]:
    """channel -> {canonical carrier key -> channel code}; an unknown carrier name is a
    problem naming its key."""
    codes: dict[str, dict[str, str]] = {}
    for channel, mapping in carriers.items():
        for name, code in mapping.items():
            try:
                carrier = resolve_carrier(name)
            except UnknownCarrierError as exc:
                problems.add(
                    f"carriers.{channel}.{name}",
                    str(exc).split(" Known carriers")[0],
                    "Use a carrier name from `orderhub ship --help`.",
                )
                continue
            codes.setdefault(channel, {})[carrier.key] = code
    return codes


class ChannelRetention(Table):
    buyer_data: Duration = setting(
        example='"30d"', fix='Write [retention.channels.amazon] buyer_data = "30d".'
    )


class RetentionTable(Table):
    keys_hint = "Keys: {keys}."

    enabled: bool = setting(True, example="true")
    buyer_data: Duration = setting(timedelta(days=30), example='"30d"')
    history: Duration = setting(timedelta(days=30), example='"30d"')
    keep_runs: int = setting(50, example="50", ge=1, le=10**6)
    channels: dict[str, ChannelRetention] = setting(
        {},
        example='{ amazon = { buyer_data = "30d" } }',
        fix='Write [retention.channels.amazon] buyer_data = "30d".',
    )

    def to_config(self) -> RetentionConfig:
        return RetentionConfig(
            enabled=self.enabled,
            buyer_data=self.buyer_data,
            history=self.history,
            keep_runs=self.keep_runs,
            channels={name: table.buyer_data for name, table in self.channels.items()},
        )

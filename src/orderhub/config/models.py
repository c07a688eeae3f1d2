"""The file as a whole (:class:`ConfigFile`) and one ``[[accounts]]`` entry
(:class:`AccountTable`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ValidationInfo, field_validator

from orderhub.config.alerts import AlertsTable
from orderhub.config.durations import duration
from orderhub.config.fields import Table, setting
from orderhub.config.problems import invalid
from orderhub.config.sections import (
    Carriers,
    MatchingTable,
    MetricsTable,
    OrderhubTable,
    RetentionTable,
    ShipmentsTable,
    WebTable,
)

__all__ = ["ACCOUNT_ID_RE", "DEFAULT_INTERVAL", "MIN_INTERVAL", "AccountTable", "ConfigFile"]

ACCOUNT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
DEFAULT_INTERVAL = timedelta(minutes=5)
MIN_INTERVAL = timedelta(seconds=10)
_ID_RULE = (
    "Use 1 to 63 characters: lower case letters, digits, '-' and '_', starting with a letter "
    'or digit (e.g. "my-shop").'
)


def _account_id(value: str) -> str:
    if not ACCOUNT_ID_RE.fullmatch(value):
        raise invalid(f"invalid account id {value!r}.", _ID_RULE)
    return value


def _connector(value: str) -> str:
    if not value.strip():
        raise invalid("must be a connector name.", 'Write e.g. connector = "woocommerce".')
    return value


class AccountTable(Table):
    unknown_key = "unknown account key."
    keys_hint = "Account keys are {keys}; connector settings go under [accounts.settings]."

    id: Annotated[str, AfterValidator(_account_id)] = setting(
        example='"my-shop"',
        what="an account id",
        label="account id",
        fix='Add id = "my-shop" (lower case letters, digits, - _).',
    )
    connector: Annotated[str, AfterValidator(_connector)] = setting(
        example='"woocommerce"',
        what="a connector name",
        fix='Add connector = "woocommerce" (see `orderhub connectors list`).',
    )
    enabled: bool = setting(True, example="true", fix="Write enabled = true (without quotes).")
    interval: Annotated[
        timedelta,
        duration(
            MIN_INTERVAL,
            below="the poll interval is below the minimum of 10 seconds.",
            fix='Use at least "10s"; the channels rate-limit faster polling anyway.',
        ),
    ] = setting(DEFAULT_INTERVAL, example='"5m"')
    jitter: Annotated[timedelta, duration(zero_ok=True)] | None = setting(None, example='"5s"')
    #: The connector's own settings, checked against its model once it is loaded.
    settings: dict[str, Any] = setting(
        {},
        example="{}",
        what="a table",
        fix="Write the connector's settings under an [accounts.settings] section.",
    )

    @field_validator("jitter")
    @classmethod
    def _shorter_than_interval(
        cls, jitter: timedelta | None, info: ValidationInfo
    ) -> timedelta | None:
        interval = info.data.get("interval")
        if jitter is not None and isinstance(interval, timedelta) and jitter >= interval:
            raise invalid(
                "the jitter must be shorter than the poll interval.",
                "Use a few seconds, or leave it out (default: 10% of the interval, at most 30 s).",
            )
        return jitter


class ConfigFile(Table):
    """The top level. Accounts are checked one by one (:class:`AccountTable`), so one
    account's problems never hide another's and duplicates are found on the raw ids."""

    unknown_key = "unknown top-level key."
    keys_hint: ClassVar[str] = (
        "Known keys: [orderhub], [[accounts]], [shipments], [carriers.<channel>], [matching], "
        "[metrics], [web], [alerts] and [retention]."
    )

    orderhub: OrderhubTable = setting(
        OrderhubTable(),
        example="",
        fix='Write it as a [orderhub] section with keys like log_level = "info".',
    )
    accounts: list[dict[str, Any]] = setting(
        [],
        example="",
        what="a list of tables",
        fix="Write each account as its own [[accounts]] section (double brackets).",
    )
    shipments: ShipmentsTable = setting(
        ShipmentsTable(), example="", fix="Write [shipments] followed by its keys."
    )
    carriers: Carriers = setting(
        {},
        example="",
        what="a table of carrier = code per channel",
        fix='Write [carriers.amazon] then e.g. Evri = "Hermes".',
    )
    metrics: MetricsTable = setting(
        MetricsTable(), example="", fix="Write [metrics] then port = 9108."
    )
    matching: MatchingTable = setting(
        MatchingTable(),
        example="",
        fix='Write [matching] followed by e.g. strip_suffixes = ["-FBA"].',
    )
    web: WebTable = setting(
        WebTable(), example="", fix='Write [web] then port = 8080 and password_env = "...".'
    )
    alerts: AlertsTable = setting(
        AlertsTable(), example="", fix="Write [alerts] followed by its keys."
    )
    retention: RetentionTable = setting(
        RetentionTable(), example="", fix="Write [retention] followed by its keys."
    )
